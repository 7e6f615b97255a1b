import assert from "node:assert/strict";
import { makeDue, NOW, settle, signedIn, subjects, testApp } from "./support/app.ts";
import { getRun } from "../services/store/runs.ts";
import { dueJobIds } from "../services/store/jobs.ts";

Deno.test("In Progress shows live counts; a finished run is on the Sent list with its counts", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  await makeDue(t.db, "msg-staff-meeting");
  const run = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  const [processJob] = await dueJobIds(t.db, NOW);
  await t.dispatcher.runJob(processJob); // Processing only: the deliveries are planned, none sent yet.
  const live = await (await c.get("/messages?tab=in-progress")).text();
  // Modes in their fixed order (Inbox, Email, Text, Voice), read as a person reads the line.
  const words = (html: string) => html.replaceAll(/<[^>]+>/g, "");
  assert.match(words(live), /Inbox: 12 pending · Email: 12 pending/);
  await settle(t);
  const progress = subjects(await (await c.get("/messages?tab=in-progress")).text());
  assert.ok(!progress.includes("Staff meeting moved to the library"), "gone from In Progress");
  const sent = await (await c.get("/sent")).text();
  assert.ok(subjects(sent).includes("Staff meeting moved to the library"));
  assert.match(words(sent), /Inbox: 12 delivered, 0 read · Email: 12 delivered/);
  assert.match(sent, new RegExp(`href="/runs/${run.id}"`));
  const teacher = await signedIn(t, "teacher");
  assert.ok(
    !subjects(await (await teacher.get("/sent?scope=all")).text()).includes("Staff meeting moved to the library"),
  );
  assert.equal((await teacher.get(`/runs/${run.id}`)).status, 404);
  assert.equal((await c.get("/sent?scope=everything")).status, 400);
  t.close();
});

Deno.test("Cancel Message on a run in progress: Confirm is required; then Canceling", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  await makeDue(t.db, "msg-staff-meeting");
  const run = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  const page = await (await c.get(`/runs/${run.id}/cancel`)).text();
  assert.match(page, /nobody has received it/);
  assert.equal((await c.post(`/runs/${run.id}/cancel`, {})).status, 400);
  assert.equal((await getRun(t.db, run.id))!.value.status, "processing", "nothing changed without Confirm");
  const teacher = await signedIn(t, "teacher");
  assert.equal((await teacher.post(`/runs/${run.id}/cancel`, { confirm: "yes" })).status, 404);
  const res = await c.post(`/runs/${run.id}/cancel`, { confirm: "yes" });
  assert.equal(res.status, 303);
  assert.equal((await getRun(t.db, run.id))!.value.status, "canceling");
  assert.match(await (await c.get(`/runs/${run.id}`)).text(), /status-canceling">Canceling</);
  await settle(t);
  assert.equal(await getRun(t.db, run.id), null, "canceled during Processing: the record is deleted");
  assert.equal((await c.get(`/runs/${run.id}/cancel`)).status, 404);
  t.close();
});

Deno.test("the outbox is for administrators", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-staff-meeting");
  await t.dispatcher.startOccurrence("msg-staff-meeting", NOW);
  await settle(t);
  const admin = await signedIn(t, "admin");
  const html = await (await admin.get("/outbox")).text();
  assert.match(html, /Staff meeting moved to the library/);
  assert.match(html, /maplevalley\.example/);
  const office = await signedIn(t, "office");
  assert.equal((await office.get("/outbox")).status, 403);
  t.close();
});
