import assert from "node:assert/strict";
import { makeDue, NOW, settle, testApp } from "../tests/support/app.ts";
import { enforceRetention } from "./retention.ts";
import { getRun } from "./store/runs.ts";
import { deliveriesOf, runCounts } from "./store/deliveries.ts";
import { listInbox } from "./store/inbox.ts";

Deno.test("retention deletes runs finished or failed before the cutoff, with their deliveries; keeps the rest", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-staff-meeting");
  const old = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await settle(t);
  assert.equal((await getRun(t.db, old.id))!.value.status, "completed");
  const later = NOW + 400 * 86_400_000;
  t.clock.at = later;
  await makeDue(t.db, "msg-lunch", {}, later);
  const recent = (await t.dispatcher.startOccurrence("msg-lunch", later))!;
  await settle(t);
  // A year and a half after the first run: keep one year.
  const result = await enforceRetention(t.db, NOW + 500 * 86_400_000, 365);
  assert.equal(await getRun(t.db, old.id), null);
  let n = 0;
  for await (const _ of deliveriesOf(t.db, old.id)) n++;
  assert.equal(n, 0, "its deliveries are gone");
  assert.deepEqual(await runCounts(t.db, old.id), {});
  assert.equal((await getRun(t.db, recent.id))!.value.status, "completed", "a recent run stays");
  // The demo's failed runs (failed days before NOW) are past the cutoff too; the sending demo run is not touched.
  assert.equal(await getRun(t.db, "R9M4T6HA3E7S"), null);
  assert.ok(await getRun(t.db, "R7K3Q9XD2M4P"));
  assert.equal(result.deleted, 3);
  t.close();
});

Deno.test("retention takes a run's messages out of the families' inboxes; a recent run's stay", async () => {
  const t = await testApp();
  const inboxOnly = {
    modes: ["inbox" as const],
    content: { emailHtml: "", emailText: "", text: "", voice: "", inbox: "Hi" },
  };
  await makeDue(t.db, "msg-field-trip", inboxOnly);
  const old = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  await settle(t);
  const later = NOW + 400 * 86_400_000;
  t.clock.at = later;
  await makeDue(t.db, "msg-field-trip", inboxOnly, later);
  const recent = (await t.dispatcher.startOccurrence("msg-field-trip", later))!;
  await settle(t);
  const people: string[] = [];
  for await (const d of deliveriesOf(t.db, old.id, "inbox")) people.push(d.value.personId);
  assert.ok(people.length >= 2);
  const runsIn = async (personId: string) => (await listInbox(t.db, personId)).map((i) => i.runId).sort();
  assert.deepEqual(await runsIn(people[0]), [old.id, recent.id].sort());
  await enforceRetention(t.db, NOW + 500 * 86_400_000, 365);
  for (const personId of people) assert.deepEqual(await runsIn(personId), [recent.id], personId);
  t.close();
});
