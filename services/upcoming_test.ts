import assert from "node:assert/strict";
import { audit, messageFixture, runFixture, userFixture } from "../tests/support/fixtures.ts";
import { FAILED_VISIBLE_MS } from "./model.ts";
import { type Db, listPage } from "./store/kv.ts";
import { z } from "zod";
import { saveMessage } from "./store/messages.ts";
import { saveRun } from "./store/runs.ts";
import { listInProgress, listScheduled, PAGE_SIZE, UpcomingQuery } from "./upcoming.ts";

const NOW = Date.parse("2026-11-26T16:00:00Z");
const q = (extra: Record<string, string> = {}) => UpcomingQuery.parse(extra);

async function seeded(fn: (db: Db) => Promise<void>) {
  const kv = await Deno.openKv(":memory:");
  const db = { kv, districtId: "d1" };
  try {
    // 130 messages: creators u1/u2 alternate, calendars cal1/cal2/cal3 rotate.
    for (let i = 0; i < 130; i++) {
      const creator = i % 2 === 0 ? "u1" : "u2";
      await saveMessage(
        db,
        null,
        messageFixture(`m${String(i).padStart(3, "0")}`, {
          subject: i % 10 === 0 ? `Lunch menu ${i}` : `Notice ${i}`,
          calendarId: `cal${(i % 3) + 1}`,
          created: { userId: creator, name: creator === "u1" ? "Ana Ortiz" : "Ben Cole", at: "2026-11-01T00:00:00Z" },
          nextAt: NOW + (130 - i) * 60_000,
        }),
        audit(),
      );
    }
    await fn(db);
  } finally {
    kv.close();
  }
}

async function allPages(db: Db, user: ReturnType<typeof userFixture>, extra: Record<string, string>) {
  const seen: string[] = [];
  let cursor = "";
  let pages = 0;
  do {
    const page = await listScheduled(db, user, q({ ...extra, cursor }));
    assert.ok(page.items.length <= PAGE_SIZE);
    seen.push(...page.items.map((m) => m.id));
    cursor = page.next ?? "";
    pages++;
  } while (cursor);
  return { seen, pages };
}

Deno.test("Scheduled pages through the index in delivery order without gaps or repeats", () =>
  seeded(async (db) => {
    const admin = userFixture("admin", { viewEditAll: true });
    const { seen, pages } = await allPages(db, admin, { scope: "all" });
    assert.equal(pages, 3);
    assert.equal(seen.length, 130);
    assert.equal(new Set(seen).size, 130);
    assert.equal(seen[0], "m129", "soonest first");
    assert.equal(seen.at(-1), "m000");
  }));

Deno.test("My Messages and filters page correctly too", () =>
  seeded(async (db) => {
    const u1 = userFixture("u1");
    const mine = await allPages(db, u1, {});
    assert.equal(mine.seen.length, 65);
    const lunch = await allPages(db, userFixture("admin", { viewEditAll: true }), { scope: "all", subject: "lunch" });
    assert.equal(lunch.seen.length, 13);
    const combined = await allPages(db, userFixture("admin", { viewEditAll: true }), {
      scope: "all",
      calendar: "cal2",
      createdBy: "ben",
    });
    // cal2 is i % 3 == 1; Ben is odd i: i % 6 == 1 for i < 130 → 22 messages.
    assert.equal(combined.seen.length, 22);
  }));

Deno.test("rights: without View/Edit All, scope=all is My Messages; calendar rights limit All", () =>
  seeded(async (db) => {
    const u2 = userFixture("u2");
    const page = await listScheduled(db, u2, q({ scope: "all" }));
    assert.ok(page.items.every((m) => m.created.userId === "u2"));
    const limited = userFixture("x", { viewEditAll: true, calendars: ["cal3"] });
    const { seen } = await allPages(db, limited, { scope: "all" });
    assert.equal(seen.length, 43);
  }));

Deno.test("In Progress: newest first, Failed only for seven days", async () => {
  const kv = await Deno.openKv(":memory:");
  const db = { kv, districtId: "d1" };
  const m = messageFixture("m1");
  const failedAt = NOW - 2 * 86_400_000;
  await saveRun(db, null, runFixture("r-old", m, { startedAt: NOW - 3_600_000 }));
  await saveRun(db, null, runFixture("r-new", m, { startedAt: NOW - 60_000, status: "sending" }));
  await saveRun(
    db,
    null,
    runFixture("r-failed", m, {
      startedAt: failedAt - 60_000,
      status: "failed",
      transitions: [{ status: "processing", at: failedAt - 60_000 }, { status: "failed", at: failedAt }],
    }),
  );
  const user = userFixture("u1");
  const ids = async (now: number) =>
    (await listInProgress(db, user, q({ tab: "in-progress" }), now)).items.map((r) => r.id);
  assert.deepEqual(await ids(NOW), ["r-new", "r-old", "r-failed"]);
  assert.deepEqual(await ids(failedAt + FAILED_VISIBLE_MS - 1), ["r-new", "r-old", "r-failed"]);
  assert.deepEqual(await ids(failedAt + FAILED_VISIBLE_MS), ["r-new", "r-old"]);
  assert.deepEqual((await listInProgress(db, userFixture("u9"), q({ tab: "in-progress" }), NOW)).items, []);
  kv.close();
});

Deno.test("a rare filter stops at the scan limit with a partial page and resumes from its cursor", async () => {
  const kv = await Deno.openKv(":memory:");
  const db = { kv, districtId: "d1" };
  for (let i = 0; i < 30; i++) await kv.set(["d1", "ix", i], { n: i });
  const schema = z.object({ n: z.number() });
  const filter = (v: { n: number }) => v.n % 10 === 9;
  const first = await listPage(db, ["d1", "ix"], schema, { limit: 5, filter, maxScan: 12 });
  assert.deepEqual(first.items.map((v) => v.n), [9]);
  assert.equal(first.partial, true);
  const second = await listPage(db, ["d1", "ix"], schema, { limit: 5, filter, maxScan: 12, cursor: first.next });
  assert.deepEqual(second.items.map((v) => v.n), [19]);
  const third = await listPage(db, ["d1", "ix"], schema, { limit: 5, filter, maxScan: 12, cursor: second.next });
  assert.deepEqual(third.items.map((v) => v.n), [29]);
  assert.equal(third.next, undefined);
  kv.close();
});
