import assert from "node:assert/strict";
import { makeDue, NOW, settle, testApp } from "../../tests/support/app.ts";
import { getMessage } from "../store/messages.ts";
import { getRun, runMessageKey, runsOfMessage } from "../store/runs.ts";
import { deliveriesOf, runCounts } from "../store/deliveries.ts";
import { listOutbox, type OutboxEntry } from "../store/outbox.ts";
import { getPerson, savePerson } from "../store/people.ts";
import { PROCESS_ATTEMPTS } from "./processing.ts";
import { jobsOfRun } from "../store/jobs.ts";
import { LEASE_MS } from "./jobs.ts";
import type { TestApp } from "../../tests/support/app.ts";
import type { Db } from "../store/kv.ts";
import { toWall } from "../time.ts";

/** Every outbox entry, page by page. */
async function wholeOutbox(db: Db): Promise<OutboxEntry[]> {
  const out: OutboxEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await listOutbox(db, cursor);
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

async function runsOf(db: Db, messageId: string) {
  return Promise.all((await runsOfMessage(db, messageId)).map(async ({ id }) => (await getRun(db, id))!.value));
}

Deno.test("a due message runs Processing → Sending → Sent through the outbox, once", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-early-release");
  await Promise.all([t.dispatcher.tick(), t.dispatcher.tick()]); // Two instances tick at once.
  let [run] = await runsOf(t.db, "msg-early-release");
  assert.equal((await runsOf(t.db, "msg-early-release")).length, 1, "claimed exactly once");
  await settle(t);
  run = (await getRun(t.db, run.id))!.value;
  assert.equal(run.status, "completed");
  assert.deepEqual(run.transitions.map((x) => x.status), ["processing", "sending", "completed"]);
  const counts = await runCounts(t.db, run.id);
  assert.ok(counts.email!.delivered! > 50, JSON.stringify(counts));
  assert.equal(counts.email!.pending ?? 0, 0);
  assert.deepEqual(run.counts, counts, "the final counts are kept on the run");
  const emails = (await wholeOutbox(t.db)).filter((e) => e.kind === "email");
  assert.equal(emails.length, counts.email!.delivered);
  assert.equal(new Set(emails.map((e) => e.to)).size, emails.length, "nobody got it twice");
  assert.equal((await getMessage(t.db, "msg-early-release"))!.value.nextAt, null, "a one-time message is done");
  t.close();
});

Deno.test("a failure in Processing marks the run Failed with a reason support can act on; nothing is sent", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-staff-meeting", {
    content: { emailHtml: "<p>{{student.homeroom}}</p>", emailText: "x", text: "", voice: "", inbox: "x" },
  });
  await settle(t);
  const [run] = await runsOf(t.db, "msg-staff-meeting");
  assert.equal(run.status, "failed");
  assert.match(run.error!.reason, /merge field \{\{student.homeroom\}\} cannot be filled/);
  assert.equal(run.error!.stage, "Processing: rendering merge fields");
  assert.equal((await listOutbox(t.db)).items.length, 0);
  let n = 0;
  for await (const _ of deliveriesOf(t.db, run.id)) n++;
  assert.equal(n, 0);
  t.close();
});

Deno.test("a deleted calendar fails Processing with the calendar named", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-staff-meeting", { calendarId: "gone-2026" });
  await settle(t);
  const [run] = await runsOf(t.db, "msg-staff-meeting");
  assert.equal(run.status, "failed");
  assert.match(run.error!.detail, /calendar gone-2026/);
  t.close();
});

Deno.test("a recurring series gets a run for its due occurrence and moves on to the next", async () => {
  const t = await testApp();
  const due = (await getMessage(t.db, "msg-lunch"))!.value.nextAt!;
  t.clock.at = due;
  await settle(t);
  const after = (await getMessage(t.db, "msg-lunch"))!.value;
  assert.ok(after.nextAt! > due, "the series continues");
  const runs = await runsOf(t.db, "msg-lunch");
  assert.equal(runs.length, 1);
  assert.equal(runs[0].status, "completed");
  assert.equal(runs[0].occurrenceDate, toWall(due, "America/Chicago").date);
  t.close();
});

Deno.test("Cancel during Processing deletes the record; during Sending records who got it and who never will", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-early-release");
  const processing = (await t.dispatcher.startOccurrence("msg-early-release", NOW))!;
  assert.equal(processing.status, "processing");
  await t.dispatcher.requestCancel(processing.id, "Dana Whitfield");
  await settle(t);
  assert.equal(await getRun(t.db, processing.id), null, "canceled during Processing: the record is gone");
  assert.equal((await listOutbox(t.db)).items.length, 0);

  // Voice waits for the dialing window, so it is still pending when the cancel comes.
  const t2 = await testApp();
  t2.clock.at = Date.parse("2026-11-27T04:00:00Z"); // 10 PM in Chicago: outside 7:00–21:00.
  await makeDue(t2.db, "msg-early-release", {}, t2.clock.at);
  await t2.dispatcher.drain();
  const [sending] = await runsOf(t2.db, "msg-early-release");
  assert.equal(sending.status, "sending");
  const before = await runCounts(t2.db, sending.id);
  assert.ok(before.voice!.pending! > 0, "voice waits for 7:00");
  assert.ok(before.email!.delivered! > 0);
  await t2.dispatcher.requestCancel(sending.id, "Dana Whitfield");
  await settle(t2);
  const canceled = (await getRun(t2.db, sending.id))!.value;
  assert.equal(canceled.status, "canceled");
  assert.equal(canceled.counts.voice!.canceled, before.voice!.pending);
  assert.equal(canceled.counts.email!.delivered, before.email!.delivered, "who already got it stays recorded");
  t.close();
  t2.close();
});

Deno.test("a number or address shared by two guardians gets one copy", async () => {
  const t = await testApp();
  const [a, b] = await Promise.all(["gdn1", "gdn2"].map(async (id) => (await getPerson(t.db, id))!));
  // gdn2 now shares gdn1's email address and phone, as families often do.
  const shared = a.value.devices;
  await savePerson(t.db, b, {
    ...b.value,
    devices: shared.map((d) => ({ ...d, id: `${d.id}-b` })),
  });
  await makeDue(t.db, "msg-early-release", {
    modes: ["email", "voice"],
    recipients: { types: ["guardians"], grades: [], personIds: [], oneCopyPerGuardian: true },
  });
  await settle(t);
  const emails: string[] = [];
  for (const e of await wholeOutbox(t.db)) emails.push(e.to);
  const sharedEmail = shared.find((d) => d.kind === "email" && d.general)!.address;
  const sharedPhone = shared.find((d) => d.kind === "phone" && d.general)!.address;
  assert.equal(emails.filter((x) => x === sharedEmail).length, 1);
  assert.equal(emails.filter((x) => x === sharedPhone).length, 1);
  assert.equal(new Set(emails).size, emails.length, "no address twice in one mode");
  t.close();
});

Deno.test("Processing leaves out an individual outside the calendar's school (saved before the check, or moved away)", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-early-release", {
    calendarId: "lincoln-2026",
    recipients: { types: ["individuals"], grades: [], personIds: ["stu201", "gdn1"], oneCopyPerGuardian: true },
    content: { emailHtml: "<p>Hi {{recipient.firstName}}</p>", emailText: "", text: "", voice: "", inbox: "x" },
  });
  await settle(t);
  const [run] = await runsOf(t.db, "msg-early-release");
  assert.equal(run.status, "completed");
  const people = new Set<string>();
  for await (const d of deliveriesOf(t.db, run.id)) people.add(d.value.personId);
  assert.deepEqual([...people], ["gdn1"]);
  t.close();
});

/** The per-minute sweep, run once a lease has passed each time, as after a crash or a throw. */
async function sweepPastLeases(t: TestApp, rounds: number) {
  for (let i = 0; i < rounds; i++) {
    await t.dispatcher.sweep();
    t.clock.at += LEASE_MS + 1;
  }
}

Deno.test("content holding {{constructor}} (written past the wizard) fails Processing with the field named", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-staff-meeting", {
    content: { emailHtml: "<p>x</p>", emailText: "x", text: "", voice: "", inbox: "Hi {{constructor}}" },
  });
  const run = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await sweepPastLeases(t, PROCESS_ATTEMPTS + 2);
  const failed = (await getRun(t.db, run.id))!.value;
  assert.equal(failed.status, "failed");
  assert.match(failed.error!.reason, /merge field \{\{constructor\}\} cannot be filled/);
  assert.equal((await listOutbox(t.db)).items.length, 0);
  t.close();
});

Deno.test("a Processing that keeps throwing ends Failed after PROCESS_ATTEMPTS attempts, with its reason", async () => {
  const t = await testApp();
  const message = await makeDue(t.db, "msg-early-release");
  const run = (await t.dispatcher.startOccurrence("msg-early-release", NOW))!;
  // A content copy that no longer reads back: plan() throws a ZodError, not a Failure, on every attempt.
  await t.db.kv.set(runMessageKey(t.db, run.id), { ...message, modes: [] });
  await sweepPastLeases(t, PROCESS_ATTEMPTS - 1);
  assert.equal((await getRun(t.db, run.id))!.value.status, "processing", "retried while under the bound");
  await sweepPastLeases(t, 1);
  const failed = (await getRun(t.db, run.id))!.value;
  assert.equal(failed.status, "failed");
  assert.match(failed.error!.reason, new RegExp(`stopped after ${PROCESS_ATTEMPTS} attempts`));
  assert.equal(failed.error!.stage, "Processing");
  assert.match(failed.error!.detail, /^ZodError: /);
  assert.deepEqual(await jobsOfRun(t.db, run.id), [], "nothing left to re-drive");
  await sweepPastLeases(t, 3);
  assert.equal((await getRun(t.db, run.id))!.value.status, "failed", "and it stays Failed");
  assert.equal((await listOutbox(t.db)).items.length, 0);
  let n = 0;
  for await (const _ of deliveriesOf(t.db, run.id)) n++;
  assert.equal(n, 0, "no delivery is left behind");
  t.close();
});
