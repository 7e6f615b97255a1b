import assert from "node:assert/strict";
import {
  BAD_CONTACT_WINDOW_MS,
  getBadContact,
  listBadContacts,
  MAX_FAILURES,
  type NewFailure,
  recordBadContactFailures,
} from "./bad_contacts.ts";
import type { Db } from "./kv.ts";

const NOW = Date.parse("2026-11-26T16:00:00Z");
const DAY = 86_400_000;

async function memoryDb(): Promise<Db> {
  return { kv: await Deno.openKv(":memory:"), districtId: "demo" };
}

function failure(at: number, change: Partial<NewFailure> = {}): NewFailure {
  return {
    personId: "gdn1",
    name: "Kai Clark",
    schoolIds: ["lincoln"],
    device: "phone",
    address: "+16125553170",
    failure: { at, problem: "unreachable", mode: "text", code: "30003", words: "phone unreachable", runId: "RUN1" },
    ...change,
  };
}

const listed = async (db: Db, now: number, schoolId?: string) =>
  (await Array.fromAsync(listBadContacts(db, now, { schoolId }))).map((e) => e.contact);

Deno.test("failures recorded at once all count: checked commits, retried on a race", async () => {
  const db = await memoryDb();
  const email = { device: "email" as const, address: "kai@mail.example" };
  await Promise.all([
    ...Array.from({ length: 30 }, (_, i) => recordBadContactFailures(db, [failure(NOW - i * 1000)], NOW)),
    ...Array.from({ length: 10 }, (_, i) =>
      recordBadContactFailures(db, [
        failure(NOW - i * 1000, {
          ...email,
          failure: { at: NOW - i * 1000, problem: "no_such_address", mode: "email", code: "550", words: "gone" },
        }),
      ], NOW)),
  ]);
  const phone = (await getBadContact(db, "gdn1", "phone", "+16125553170", NOW))!;
  assert.equal(phone.failures.length, 30);
  assert.equal(phone.last.at, NOW, "the newest failure is the one in words");
  assert.equal((await getBadContact(db, "gdn1", "email", "KAI@mail.example", NOW))!.failures.length, 10);
  // Each index holds each device once, as its record is now.
  const all = await listed(db, NOW);
  assert.equal(all.length, 2);
  assert.deepEqual(all.map((c) => c.failures.length).sort((a, b) => a - b), [10, 30]);
  assert.equal((await listed(db, NOW, "lincoln")).length, 2);
  db.kv.close();
});

Deno.test("failures of one batch for one device land in one commit; an email address is one whatever its case", async () => {
  const db = await memoryDb();
  const mail = (at: number, address: string) =>
    failure(at, {
      device: "email",
      address,
      failure: { at, problem: "no_such_address", mode: "email", code: "550", words: "gone" },
    });
  await recordBadContactFailures(db, [mail(NOW - 2000, "Kai@Mail.example"), mail(NOW - 1000, "kai@mail.example")], NOW);
  const record = (await getBadContact(db, "gdn1", "email", "kai@mail.example", NOW))!;
  assert.equal(record.failures.length, 2);
  assert.equal(record.address, "kai@mail.example", "the newest failure's spelling");
  db.kv.close();
});

Deno.test("30 days: older failures drop out when read (KV expires lazily) and when the record is written again", async () => {
  const db = await memoryDb();
  await recordBadContactFailures(db, [failure(NOW - 29 * DAY), failure(NOW - 10 * DAY)], NOW);
  const read = (now: number) => getBadContact(db, "gdn1", "phone", "+16125553170", now);
  assert.equal((await read(NOW))!.failures.length, 2);
  const later = await read(NOW + 2 * DAY);
  assert.equal(later!.failures.length, 1, "the failure 31 days old is gone");
  assert.equal(later!.failures[0].at, NOW - 10 * DAY);
  assert.equal(await read(NOW + 20 * DAY + 1), null, "30 days after the newest, nothing");
  assert.deepEqual(await listed(db, NOW + 20 * DAY + 1), [], "nor in the index");
  assert.deepEqual(await listed(db, NOW + 20 * DAY + 1, "lincoln"), []);
  // A new failure starts the count again: the old ones are not kept.
  await recordBadContactFailures(db, [failure(NOW + 25 * DAY)], NOW + 25 * DAY);
  const again = (await read(NOW + 25 * DAY))!;
  assert.deepEqual(again.failures.map((f) => f.at), [NOW + 25 * DAY]);
  // A failure already older than the window when it is recorded changes nothing.
  await recordBadContactFailures(db, [failure(NOW - BAD_CONTACT_WINDOW_MS - 1, { personId: "gdn2" })], NOW);
  assert.equal(await getBadContact(db, "gdn2", "phone", "+16125553170", NOW), null);
  db.kv.close();
});

Deno.test("a person's schools change: their record leaves the old school's index for the new one's", async () => {
  const db = await memoryDb();
  await recordBadContactFailures(db, [failure(NOW - 2000)], NOW);
  await recordBadContactFailures(db, [failure(NOW - 1000, { schoolIds: ["washington"] })], NOW);
  assert.deepEqual(await listed(db, NOW, "lincoln"), []);
  const [moved] = await listed(db, NOW, "washington");
  assert.equal(moved.failures.length, 2);
  assert.equal((await listed(db, NOW)).length, 1, "the newest-first index holds it once, at its newest failure");
  db.kv.close();
});

Deno.test("a device failing more than MAX_FAILURES times keeps its newest, within one KV value", async () => {
  const db = await memoryDb();
  const many = Array.from({ length: MAX_FAILURES + 50 }, (_, i) => failure(NOW - i * 60_000));
  await recordBadContactFailures(db, many, NOW);
  const record = (await getBadContact(db, "gdn1", "phone", "+16125553170", NOW))!;
  assert.equal(record.failures.length, MAX_FAILURES);
  assert.equal(record.failures.at(-1)!.at, NOW);
  assert.equal(record.failures[0].at, NOW - (MAX_FAILURES - 1) * 60_000, "the oldest went");
  db.kv.close();
});

Deno.test("the newest first, one school's or every school's, resumed from a cursor", async () => {
  const db = await memoryDb();
  for (const [i, school] of ["lincoln", "washington", "lincoln"].entries()) {
    await recordBadContactFailures(
      db,
      [failure(NOW - (3 - i) * DAY, { personId: `gdn${i}`, schoolIds: [school] })],
      NOW,
    );
  }
  assert.deepEqual((await listed(db, NOW)).map((c) => c.personId), ["gdn2", "gdn1", "gdn0"]);
  assert.deepEqual((await listed(db, NOW, "lincoln")).map((c) => c.personId), ["gdn2", "gdn0"]);
  const [first] = await Array.fromAsync(listBadContacts(db, NOW));
  const rest = await Array.fromAsync(listBadContacts(db, NOW, { cursor: first.cursor }));
  assert.deepEqual(rest.map((e) => e.contact.personId), ["gdn1", "gdn0"]);
  db.kv.close();
});
