import assert from "node:assert/strict";
import { makeDue, NOW, settle, signedIn, testApp } from "./support/app.ts";
import { getPerson, savePerson } from "../services/store/people.ts";
import { csvCell, maskAddress } from "../services/report.ts";
import { previewRecipients } from "../services/recipients.ts";
import { getCalendar } from "../services/store/district.ts";

Deno.test("the Recipient Report is one line per delivery: the error in words on the row, the rest under Details", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-staff-meeting");
  const run = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await settle(t);
  const office = await signedIn(t, "office");
  const page = await (await office.get(`/runs/${run.id}/recipients?mode=email`)).text();
  assert.match(page, /<div class="table-scroll" role="region" aria-label="Recipients" tabindex="0">/);
  assert.match(page, /<table class="counts text report-table">/);
  assert.match(page, /<th\s+scope="col" class="num">Attempts<\/th>/);
  assert.match(page, /<td class="num">1<\/td>/);
  const body = page.indexOf("<tbody>");
  const row = page.slice(body, page.indexOf("</tr>", body));
  assert.ok(
    row.indexOf("<details") > row.indexOf('<td class="num">'),
    "provider and attempt times come last, on demand",
  );
  assert.match(row, /<summary>Show<span class="visually-hidden"> details for [^<]+, Email<\/span><\/summary>/);
  assert.match(row, /<dt>Provider reference<\/dt>/);
  t.close();
});

Deno.test("csv cells: quoted when needed, formulas neutralized; devices masked", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell('say "hi", then go'), '"say ""hi"", then go"');
  assert.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  for (const bad of ["+1", "-2", "@SUM(A1)"]) assert.equal(csvCell(bad)[0], "'");
  assert.equal(maskAddress("text", "+16125551234"), "***-***-1234");
  assert.equal(maskAddress("email", "ada.okafor@mail.example"), "a***@mail.example");
  assert.equal(maskAddress("inbox", "gdn1"), "portal inbox");
});

Deno.test("Recipient Report: rows per device, filters, rights; CSV streams with a header and escaped cells", async () => {
  const t = await testApp();
  const staff = (await getPerson(t.db, "stf-lincoln-1"))!;
  await savePerson(t.db, staff, { ...staff.value, firstName: "=cmd|' /C calc'!A0" });
  await makeDue(t.db, "msg-staff-meeting");
  const run = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await settle(t);
  const office = await signedIn(t, "office");
  const page = await (await office.get(`/runs/${run.id}/recipients`)).text();
  assert.equal([...page.matchAll(/<tr\s*><th scope="row">/g)].length, 24, "12 staff × email and inbox");
  assert.match(page, /\*\*\*@maplevalley\.example/);
  const emails = await (await office.get(`/runs/${run.id}/recipients?mode=email&state=delivered`)).text();
  assert.equal([...emails.matchAll(/<tr\s*><th scope="row">/g)].length, 12);
  const none = await (await office.get(`/runs/${run.id}/recipients?state=failed`)).text();
  assert.match(none, /No recipients match/);
  assert.equal((await office.get(`/runs/${run.id}/recipients?state=lost`)).status, 400);
  const teacher = await signedIn(t, "teacher");
  assert.equal((await teacher.get(`/runs/${run.id}/recipients`)).status, 404);
  assert.equal((await teacher.get(`/runs/${run.id}/recipients.csv`)).status, 404);

  const res = await office.get(`/runs/${run.id}/recipients.csv`);
  assert.equal(res.headers.get("Content-Type"), "text/csv; charset=utf-8");
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.equal(
    first,
    "run_id,person_id,person,relationship,mode,device,state,attempts,provider_id,provider_status," +
      "error_code,error_meaning,last_update_utc,read_at_utc,opened_at_utc,clicked_at_utc,call_result,language\r\n",
    "the header arrives before any row is read",
  );
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  const lines = rest.trim().split("\r\n");
  assert.equal(lines.length, 24);
  const evil = lines.find((l) => l.includes("calc"))!;
  assert.match(evil, /,'=cmd\|' \/C calc'!A0 \w+,staff,/, "the formula is neutralized");
  t.close();
});

Deno.test("Sent list filters: Message ID, date range, calendar, subject, type; bad input is a 400 kept filled in", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-staff-meeting");
  const a = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await makeDue(t.db, "msg-lunch", { type: "priority" });
  const b = (await t.dispatcher.startOccurrence("msg-lunch", NOW))!;
  await settle(t);
  const admin = await signedIn(t, "admin");
  const ids = async (qs: string) =>
    [...(await (await admin.get(`/sent?scope=all&${qs}`)).text()).matchAll(/href="\/runs\/(\w+)"/g)].map((m) => m[1]);
  assert.deepEqual((await ids("")).sort(), [a.id, b.id].sort());
  assert.deepEqual(await ids(`messageId=${a.id.toLowerCase()}`), [a.id], "Message ID, case-insensitive");
  assert.deepEqual(await ids("type=priority"), [b.id]);
  assert.deepEqual(await ids("subject=staff"), [a.id]);
  assert.deepEqual(await ids("calendar=washington-2026"), [b.id]);
  assert.deepEqual((await ids("from=2026-11-26&to=2026-11-26")).sort(), [a.id, b.id].sort());
  assert.deepEqual(await ids("from=2026-11-27"), []);
  assert.deepEqual(await ids("to=2026-11-25"), []);
  const bad = await admin.get("/sent?from=2026-11-30&to=2026-11-01&subject=kept");
  assert.equal(bad.status, 400);
  const html = await bad.text();
  assert.match(html, /is before the From date/);
  assert.match(html, /name="subject" value="kept"/);
  const office = await signedIn(t, "office");
  assert.equal(
    (await (await office.get(`/sent?scope=all&messageId=${b.id}`)).text()).includes(`/runs/${b.id}`),
    false,
    "another school's run is not found by its ID",
  );
  t.close();
});

Deno.test("Retry a Failed run: a new run from the same content, linked both ways, once", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const failed = await (await admin.get("/runs/R9M4T6HA3E7S")).text();
  assert.match(failed, /Copy Message ID/);
  assert.match(failed, /action="\/runs\/R9M4T6HA3E7S\/retry"/);
  const teacher = await signedIn(t, "teacher");
  assert.equal((await teacher.post("/runs/R9M4T6HA3E7S/retry", {})).status, 404);
  assert.equal((await admin.post("/runs/R7K3Q9XD2M4P/retry", {})).status, 404, "only a Failed run");
  const res = await admin.post("/runs/R9M4T6HA3E7S/retry", {});
  assert.equal(res.status, 303);
  const retryId = res.headers.get("Location")!.split("/")[2];
  assert.match(await (await admin.get(`/runs/${retryId}`)).text(), /A retry of <a href="\/runs\/R9M4T6HA3E7S">/);
  assert.match(
    await (await admin.get("/runs/R9M4T6HA3E7S")).text(),
    new RegExp(`Retried as <a href="/runs/${retryId}">`),
  );
  assert.equal((await admin.post("/runs/R9M4T6HA3E7S/retry", {})).status, 409, "once");
  await settle(t);
  const after = await (await admin.get(`/sent?scope=all&messageId=${retryId}`)).text();
  assert.match(after, new RegExp(`/runs/${retryId}`), "the retry went out and is on the Sent list");
  t.close();
});

Deno.test("the Sent list counts who was left out because they opted out, per mode", async () => {
  const t = await testApp();
  const message = await makeDue(t.db, "msg-early-release", { modes: ["email", "text"] });
  const preview = await previewRecipients(t.db, message, (await getCalendar(t.db, message.calendarId))!);
  assert.ok(preview.byMode.email!.optedOut > 0 && preview.byMode.text!.optedOut > 0, "the demo has opt-outs here");
  await t.dispatcher.startOccurrence("msg-early-release", NOW);
  await settle(t);
  const office = await signedIn(t, "office");
  const html = await (await office.get("/sent")).text();
  assert.match(html, new RegExp(`Email: \\d+ delivered, ${preview.byMode.email!.optedOut} opted out`));
  assert.match(html, new RegExp(`Text: \\d+ delivered, ${preview.byMode.text!.optedOut} opted out`));
  t.close();
});

Deno.test("a large export streams: the first rows arrive while most are still unread; a canceled run says who got it", async () => {
  const t = await testApp();
  // Lincoln guardians and students by inbox and email: a few hundred deliveries.
  await makeDue(t.db, "msg-field-trip", {
    modes: ["inbox", "email"],
    recipients: { types: ["guardians", "students"], grades: [], personIds: [], oneCopyPerGuardian: true },
    content: { emailHtml: "<p>Hi</p>", emailText: "Hi", text: "", voice: "", inbox: "Hi" },
  });
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  await settle(t);
  const office = await signedIn(t, "office");
  const res = await office.get(`/runs/${run.id}/recipients.csv`);
  const reader = res.body!.getReader();
  const decode = new TextDecoder();
  const chunks: number[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    chunks.push(decode.decode(r.value).split("\r\n").filter(Boolean).length);
  }
  assert.ok(chunks.length > 3, `the export came in ${chunks.length} pieces`);
  assert.ok(chunks.slice(1).every((n) => n <= 100), "no piece holds more than a KV batch of rows");
  assert.ok(chunks.reduce((a, b) => a + b, 0) > 300);

  const sending = await testApp();
  sending.clock.at = Date.parse("2026-11-27T04:00:00Z"); // after hours: voice waits, email goes out
  await makeDue(sending.db, "msg-early-release", { modes: ["email", "voice"] }, sending.clock.at);
  const r2 = (await sending.dispatcher.startOccurrence("msg-early-release", sending.clock.at))!;
  await sending.dispatcher.drain();
  await sending.dispatcher.requestCancel(r2.id, "Marcus Lee");
  await settle(sending);
  const c2 = await signedIn(sending, "office");
  const report = await (await c2.get(`/runs/${r2.id}/recipients`)).text();
  assert.match(report, /Canceled while sending: .*\d+ copies went out before the cancel.*\d+ never will/);
  const sent = await (await c2.get("/sent")).text();
  assert.match(sent, /<title>Sent Message Log · Messenger<\/title>/);
  assert.match(sent, /<h1>Sent Message Log<\/h1>/);
  assert.doesNotMatch(sent, /Completed runs/);
  const entry = sent.slice(sent.indexOf("Early release Friday"));
  assert.match(
    entry,
    /^[^]*?<span>Canceled \w{3}, \w{3} \d+, 2026, [^<]+<\/span>/,
    "a canceled run reads Canceled, not Sent",
  );
  assert.doesNotMatch(entry.slice(0, entry.indexOf("</li>")), /<span>Sent /);
  t.close();
  sending.close();
});

Deno.test("/sent/:runId leads to the Recipient Report, keeping its filters", async () => {
  const t = await testApp();
  const office = await signedIn(t, "office");
  const res = await office.get("/sent/R7K3Q9XD2M4P?state=failed");
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("Location"), "/runs/R7K3Q9XD2M4P/recipients?state=failed");
  t.close();
});
