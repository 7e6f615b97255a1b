/**
 * Quiet hours in the wizard: Send Options say when each mode actually goes
 * out, and Send outside quiet hours is a tool right, refused by name without
 * it, recorded on the message, its run, its history and View Details.
 */
import assert from "node:assert/strict";
import { type Client, signedIn, subjects, testApp } from "./support/app.ts";
import { getMessage, listAudit } from "../services/store/messages.ts";
import { getRun, getRunMessage } from "../services/store/runs.ts";

/** Thursday 26 November 2026, 10:00 PM in Chicago: after both windows (texts 8:00–21:00, calls 7:00–21:00). */
const TEN_PM = Date.parse("2026-11-27T04:00:00Z");
const SUBJECT = "Snow day tomorrow";

const recipients = { calendarId: "lincoln-2026", types: "guardians", grades: "3", oneCopyPerGuardian: "on" };
const content = { subject: SUBJECT, emailHtml: "<p>No school.</p>", text: "No school tomorrow.", voice: "No school." };
const sendNow = { type: "general", modes: ["email", "text", "voice"], when: "now" };

function post(c: Client, draft: string, step: string, fields: Record<string, string | string[]>, go: string) {
  const body = new URLSearchParams({ _csrf: c.csrf, go });
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return c.request(`/compose/${draft}/${step}`, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
}

/** A new message's draft, its recipients and content filled in, at Send Options. */
async function atSendOptions(c: Client): Promise<string> {
  const draft = (await c.post("/messages/new", {})).headers.get("Location")!.split("/")[2];
  assert.equal((await post(c, draft, "recipients", recipients, "content")).status, 303);
  assert.equal((await post(c, draft, "content", content, "send")).status, 303);
  return draft;
}

/** The "When it goes out" lines of Send Options after Update next deliveries. */
async function goesOut(c: Client, draft: string, fields: Record<string, string | string[]>): Promise<string[]> {
  const res = await post(c, draft, "send", fields, "preview");
  const html = await res.text();
  assert.equal(res.status, 200, html.match(/<div class="error-summary"[^]*?<\/div>/)?.[0]);
  const list = html.match(/<dl class="goes-out"[^>]*>([^]*?)<\/dl>/)?.[1] ?? "";
  return [...list.matchAll(/<dt[^>]*>([^<]*)<\/dt><dd[^>]*>([^<]*)<\/dd>/g)].map((m) => `${m[1]}: ${m[2]}`);
}

const CHECKBOX = /<input type="checkbox" name="outsideQuietHours"/;

Deno.test("Send Options say when each mode goes out: Send Now at night, today, tomorrow, a series' first delivery", async () => {
  const t = await testApp(); // Thursday 26 November 2026, 10:00 AM.
  const admin = await signedIn(t, "admin");
  const draft = await atSendOptions(admin);
  const later = { type: "general", modes: ["email", "text", "voice"], when: "later", date: "2026-11-26" };
  assert.deepEqual(await goesOut(admin, draft, { ...later, time: "19:00" }), [
    "Email: today 7:00 PM",
    "Texts: today 7:00 PM",
    "Calls: today 7:00 PM",
  ]);
  assert.deepEqual(await goesOut(admin, draft, { ...later, time: "21:30" }), [
    "Email: today 9:30 PM",
    "Texts: tomorrow 8:00 AM, because of quiet hours",
    "Calls: tomorrow 7:00 AM, because of quiet hours",
  ]);
  assert.deepEqual(await goesOut(admin, draft, { ...later, time: "07:30", time_email: "06:00", date: "2026-11-27" }), [
    "Email: tomorrow 6:00 AM",
    "Texts: tomorrow 8:00 AM, because of quiet hours",
    "Calls: tomorrow 7:30 AM",
  ]);
  // A weekly series from Tuesday 1 December at 6:30 AM: its first delivery.
  const weekly = { ...later, date: "2026-12-01", time: "06:30", repeat: "weekly", weekdays: "TU", ends: "count" };
  assert.deepEqual(await goesOut(admin, draft, { ...weekly, count: "3" }), [
    "Email: Tue, Dec 1, 2026, 6:30 AM",
    "Texts: Tue, Dec 1, 2026, 8:00 AM, because of quiet hours",
    "Calls: Tue, Dec 1, 2026, 7:00 AM, because of quiet hours",
  ]);
  const page = await (await post(admin, draft, "send", { ...weekly, count: "3" }, "preview")).text();
  assert.match(page, /<h3 id="goes-out-h">When the first delivery goes out<\/h3>/);
  assert.match(
    page,
    /Quiet hours: General and Priority texts go out only 8:00\u00a0AM\u2060–\u20609:00\u00a0PM and calls 7:00\u00a0AM\u2060–\u20609:00\u00a0PM/,
  );

  t.clock.at = TEN_PM;
  assert.deepEqual(await goesOut(admin, draft, sendNow), [
    "Email: now",
    "Texts: tomorrow 8:00 AM, because of quiet hours",
    "Calls: tomorrow 7:00 AM, because of quiet hours",
  ]);
  assert.deepEqual(await goesOut(admin, draft, { ...sendNow, type: "emergency" }), [
    "Email: now",
    "Texts: now, in quiet hours: Emergency messages do not wait",
    "Calls: now, in quiet hours: Emergency messages do not wait",
  ]);
  assert.deepEqual(await goesOut(admin, draft, { ...sendNow, outsideQuietHours: "on" }), [
    "Email: now",
    "Texts: now, in quiet hours, as you chose",
    "Calls: now, in quiet hours, as you chose",
  ]);
  // Without JavaScript the same page is the answer to Update next deliveries; a GET shows what the draft holds.
  const shown = await (await admin.get(`/compose/${draft}/send`)).text();
  assert.match(shown, /<h3 id="goes-out-h">When it goes out<\/h3>/);
  assert.match(shown, /<dt[^>]*>Texts<\/dt><dd[^>]*>now, in quiet hours, as you chose<\/dd>/);
  t.close();
});

Deno.test("Send outside quiet hours without the right: no checkbox, and posting the field anyway is a 400 naming it; nothing saved", async () => {
  const t = await testApp();
  t.clock.at = TEN_PM;
  const office = await signedIn(t, "office");
  const draft = await atSendOptions(office);
  const page = await (await office.get(`/compose/${draft}/send`)).text();
  assert.doesNotMatch(page, CHECKBOX, "the office has no such right");
  assert.match(page, /Quiet hours: General and Priority texts go out only/, "but is told the quiet hours");
  for (const go of ["commit", "preview"]) {
    const res = await post(office, draft, "send", { ...sendNow, outsideQuietHours: "on" }, go);
    assert.equal(res.status, 400, go);
    assert.match(
      await res.text(),
      /&quot;Send outside quiet hours&quot; \(outsideQuietHours\) is not one of your tool rights/,
    );
  }
  const listed = async () => [
    ...subjects(await (await office.get("/messages")).text()),
    ...subjects(await (await office.get("/messages?tab=in-progress")).text()),
  ];
  assert.ok(!(await listed()).includes(SUBJECT), "neither scheduled nor sent");
  const sent = await post(office, draft, "send", sendNow, "commit");
  assert.equal(sent.status, 303, "without the field it sends");
  assert.ok((await listed()).includes(SUBJECT));
  t.close();
});

Deno.test("Send outside quiet hours with the right: the message, its run, its history and View Details record it", async () => {
  const t = await testApp();
  t.clock.at = TEN_PM;
  const admin = await signedIn(t, "admin");
  const draft = await atSendOptions(admin);
  const page = await (await admin.get(`/compose/${draft}/send`)).text();
  assert.match(page, CHECKBOX);
  assert.match(
    page,
    /Send texts and calls <span class="if-now">now,<\/span><span class="if-later">at their time,<\/span> even in quiet hours/,
  );
  const res = await post(admin, draft, "send", { ...sendNow, outsideQuietHours: "on" }, "commit");
  assert.equal(res.status, 303);
  const list = await (await admin.get("/messages?tab=in-progress")).text();
  const runId = list.match(new RegExp(`href="/runs/(\\w+)" aria-label="View Details: ${SUBJECT}"`))?.[1];
  assert.ok(runId, "the run is In Progress");
  const run = (await getRun(t.db, runId))!.value;
  const message = (await getMessage(t.db, run.messageId))!.value;
  assert.equal(message.outsideQuietHours, true, "the message");
  assert.equal(run.message.outsideQuietHours, true, "the run");
  assert.equal((await getRunMessage(t.db, runId))!.outsideQuietHours, true, "the run's copy of the message");
  const [entry] = await listAudit(t.db, message.id);
  assert.equal(entry.action, "created (Send Now, sent outside quiet hours)");
  const details = await (await admin.get(`/messages/${message.id}`)).text();
  assert.match(details, /Quiet hours: Send outside quiet hours was chosen, so texts and calls go at their time/);
  assert.match(details, /created \(Send Now, sent outside quiet hours\) by Dana Whitfield/);
  const runDetails = await (await admin.get(`/runs/${runId}`)).text();
  assert.match(runDetails, /<dt>Quiet hours<\/dt>\s*<dd>Send outside quiet hours was chosen/);
  t.close();
});

Deno.test("Edit Message: an editor without the right may keep a message's choice, not turn it on; the history shows changes", async () => {
  const t = await testApp();
  const office = await signedIn(t, "office");
  const admin = await signedIn(t, "admin");
  const open = async (c: Client, id: string) => {
    t.clock.at += 60_000; // Each edit a minute after the last, so the history's newest entry comes first.
    const res = await c.get(`/messages/${id}/edit`);
    assert.equal(res.status, 303);
    return res.headers.get("Location")!.split("/")[2];
  };
  assert.match(
    await (await office.get("/messages/msg-early-release")).text(),
    /Quiet hours: texts go out only 8:00\u00a0AM\u2060–\u20609:00\u00a0PM and calls 7:00\u00a0AM\u2060–\u20609:00\u00a0PM; at other times they wait\./,
    "View Details: the district's quiet hours, as nobody chose otherwise",
  );
  const current = (await getMessage(t.db, "msg-early-release"))!;
  assert.equal(current.value.schedule.kind, "once");
  const date = current.value.schedule.kind === "once" ? current.value.schedule.date : "";
  const fields = { type: "general", modes: ["email", "text", "voice"], when: "later", date, time: "07:30" };

  // Without the right, turning it on is refused.
  const refused = await post(office, await open(office, "msg-early-release"), "send", {
    ...fields,
    outsideQuietHours: "on",
  }, "commit");
  assert.equal(refused.status, 400);
  assert.equal((await getMessage(t.db, "msg-early-release"))!.value.outsideQuietHours, undefined);

  // An administrator turns it on: the history says so.
  assert.equal(
    (await post(admin, await open(admin, "msg-early-release"), "send", {
      ...fields,
      outsideQuietHours: "on",
    }, "commit")).status,
    303,
  );
  assert.equal((await getMessage(t.db, "msg-early-release"))!.value.outsideQuietHours, true);
  let [entry] = await listAudit(t.db, "msg-early-release");
  assert.deepEqual(entry.changes.find((ch) => ch.field === "Quiet hours"), {
    field: "Quiet hours",
    before: "waits for quiet hours",
    after: "sends outside quiet hours",
  });

  // The office sees the choice ticked and may keep it.
  const kept = await open(office, "msg-early-release");
  assert.match(await (await office.get(`/compose/${kept}/send`)).text(), /name="outsideQuietHours" checked/);
  assert.equal((await post(office, kept, "send", { ...fields, outsideQuietHours: "on" }, "commit")).status, 303);
  assert.equal((await getMessage(t.db, "msg-early-release"))!.value.outsideQuietHours, true);
  // Or untick it.
  assert.equal((await post(office, await open(office, "msg-early-release"), "send", fields, "commit")).status, 303);
  assert.equal((await getMessage(t.db, "msg-early-release"))!.value.outsideQuietHours, undefined);
  [entry] = await listAudit(t.db, "msg-early-release");
  assert.equal(entry.changes.find((ch) => ch.field === "Quiet hours")?.after, "waits for quiet hours");
  t.close();
});
