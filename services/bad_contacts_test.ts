import assert from "node:assert/strict";
import {
  type ContactRow,
  contactsPage,
  ContactsQuery,
  contactsScope,
  noteBadContacts,
  problemOf,
  REPEATED_UNREACHABLE,
} from "./bad_contacts.ts";
import type { Delivery } from "./store/deliveries.ts";
import { getPerson, savePerson, setTextOptOut } from "./store/people.ts";
import { getUserByLogin } from "./store/users.ts";
import { NOW, testApp } from "../tests/support/app.ts";
import type { Db } from "./store/kv.ts";
import type { Mode } from "./model.ts";

function failed(mode: Mode, errorCode: string | undefined, error = "", state: Delivery["state"] = "failed"): Delivery {
  return {
    id: "gdn9~~phone",
    runId: "RUN1",
    mode,
    personId: "gdn9",
    name: "Kai Clark",
    as: "guardians",
    studentIds: [],
    address: mode === "email" ? "kai@mail.example" : "+16125550100",
    state,
    attempts: 1,
    errorCode,
    error,
    updatedAt: NOW,
    history: [],
  };
}

Deno.test("which final failures say the contact is bad", () => {
  const cases: [Delivery, string | null][] = [
    [failed("email", "550", "5.1.1 No such user here"), "no_such_address"],
    [failed("email", "550", "Requested action not taken: mailbox unavailable"), "no_such_address"],
    [failed("email", "553", "mailbox name not allowed"), "no_such_address"],
    [failed("email", "554", "5.1.10 Recipient address has null MX"), "no_such_address"],
    [failed("email", "605", "Not delivering to previously bounced address"), "no_such_address"],
    [failed("email", "550", "5.7.1 Message rejected as spam"), null],
    [failed("email", "552", "Message size exceeds fixed maximum message size"), null],
    [failed("email", "421", "try again later"), null],
    [failed("email", undefined, "the recipient marked it as spam"), null],
    [failed("text", "21211"), "invalid_number"],
    [failed("voice", "21211"), "invalid_number"],
    [failed("text", "30005"), "invalid_number"],
    [failed("text", "21614"), "landline"],
    [failed("text", "30006"), "landline"],
    [failed("voice", "30006"), null],
    [failed("text", "30003"), "unreachable"],
    [failed("text", "21610"), "opted_out"],
    [failed("text", "429"), null],
    [failed("text", "constructor"), null],
    [failed("text", "21211", "", "pending"), null],
    [failed("inbox", "550"), null],
  ];
  for (const [d, want] of cases) assert.equal(problemOf(d), want, `${d.mode} ${d.errorCode} ${d.error} ${d.state}`);
});

async function rows(db: Db, query: Partial<ContactsQuery> = {}): Promise<ContactRow[]> {
  const admin = (await getUserByLogin(db, "admin"))!.value;
  const scope = (await contactsScope(db, admin))!;
  return (await contactsPage(db, scope, ContactsQuery.parse(query), NOW)).items;
}
const row = (all: ContactRow[], personId: string) => all.find((r) => r.contact.personId === personId);

Deno.test(`unreachable is listed from the ${REPEATED_UNREACHABLE}nd time in 30 days; the others from the first`, async () => {
  const t = await testApp();
  const guardian = (await getPerson(t.db, "gdn9"))!.value;
  const phone = guardian.devices.find((d) => d.kind === "phone")!.address;
  const unreachable = (at: number) => ({ ...failed("text", "30003"), address: phone, updatedAt: at });
  await noteBadContacts(t.db, [unreachable(NOW - 86_400_000)], NOW);
  assert.equal(row(await rows(t.db), "gdn9"), undefined, "once: a phone switched off");
  await noteBadContacts(t.db, [unreachable(NOW - 1000)], NOW);
  const twice = row(await rows(t.db, { problem: "unreachable" }), "gdn9")!;
  assert.equal(twice.count, 2);
  assert.equal(twice.words, "phone unreachable");
  assert.equal(twice.first, NOW - 86_400_000);
  assert.equal(twice.last, NOW - 1000);
  assert.deepEqual(twice.modes, ["text"]);
  assert.equal(twice.relationship, "guardian of Layla Garcia");
  assert.equal(twice.schools, "Lincoln Elementary");
  assert.equal(twice.device, `***-***-${phone.slice(-4)}`);
  t.close();
});

Deno.test("a contact fixed since leaves Needs fixing for Fixed: a new address, a START, a landline no longer texting, gone from the roster", async () => {
  const t = await testApp();
  const open = await rows(t.db);
  for (const id of ["gdn4", "gdn2", "gdn85", "gdn276"]) assert.equal(row(open, id)?.status, "open", id);
  assert.equal(row(open, "gdn1"), undefined, "an address the roster no longer has is fixed already");
  const change = async (id: string, fn: (p: NonNullable<Awaited<ReturnType<typeof getPerson>>>["value"]) => void) => {
    const current = (await getPerson(t.db, id))!;
    const next = structuredClone(current.value);
    fn(next);
    await savePerson(t.db, current, next);
  };
  await change("gdn4", (p) => p.devices.find((d) => d.kind === "email")!.address = "grace.brown@new.example");
  await change("gdn2", (p) => p.devices.filter((d) => d.text).forEach((d) => d.text = false));
  await change("gdn276", (p) => p.removedAt = new Date(NOW).toISOString());
  const gdn85 = (await getPerson(t.db, "gdn85"))!.value.devices.find((d) => d.textOptOutAt)!;
  await setTextOptOut(t.db, gdn85.address, null);
  const after = await rows(t.db);
  for (const id of ["gdn4", "gdn2", "gdn85", "gdn276", "gdn1"]) assert.equal(row(after, id), undefined, id);
  assert.equal(row(after, "gdn142")?.status, "open", "the others stay");
  const fixed = await rows(t.db, { status: "fixed" });
  assert.deepEqual(
    ["gdn4", "gdn2", "gdn85", "gdn276", "gdn1"].map((id) => row(fixed, id)?.status),
    ["fixed", "fixed", "fixed", "removed", "fixed"],
  );
  assert.equal(row(fixed, "gdn142"), undefined);
  assert.equal((await rows(t.db, { status: "any" })).length, open.length + 1);
  t.close();
});
