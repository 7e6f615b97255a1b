import assert from "node:assert/strict";
import { type Client, NOW, settle, signedIn, subjects, testApp } from "./support/app.ts";
import { getMessage, listAudit } from "../services/store/messages.ts";
import { toWall } from "../services/time.ts";

const TZ = "America/Chicago";

async function startDraft(c: Client): Promise<string> {
  const res = await c.post("/messages/new", {});
  assert.equal(res.status, 303);
  const location = res.headers.get("Location")!;
  assert.match(location, /^\/compose\/[0-9A-Z]{12}\/recipients$/);
  return location.split("/")[2];
}

const recipients = { calendarId: "lincoln-2026", types: "guardians", grades: "3", oneCopyPerGuardian: "on" };
const content = {
  subject: "Science fair",
  emailHtml: "<p>Dear {{recipient.firstName}}, {{student.firstName}} is in the fair.</p><script>alert(1)</script>",
  emailText: "",
  text: "Science fair Friday for {{student.firstName}}",
  voice: "",
  inbox: "",
};
const weekly = {
  type: "general",
  modes: "email",
  when: "later",
  date: "2026-12-01",
  time: "07:00",
  repeat: "weekly",
  weekdays: "TU",
  ends: "date",
  endDate: "2027-01-31",
  skipNoSchoolDays: "on",
};

function post(c: Client, draft: string, step: string, fields: Record<string, string | string[]>, go: string) {
  const body = new URLSearchParams({ _csrf: c.csrf, go });
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return c.request(`/compose/${draft}/${step}`, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
}

Deno.test("wizard: create a weekly series through the three steps; it appears on Upcoming Messages", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  const step1 = await post(c, draft, "recipients", recipients, "content");
  assert.equal(step1.status, 303);
  assert.equal(step1.headers.get("Location"), `/compose/${draft}/content`);
  const page2 = await (await c.get(`/compose/${draft}/content`)).text();
  assert.match(page2, /Merge fields/);
  const previewed = await (await post(c, draft, "content", content, "preview")).text();
  assert.match(
    previewed,
    /Preview for (\w+) \w+<\/h2>.*Dear \1, \w+ is in the fair\./s,
    "merge fields filled for one recipient",
  );
  assert.equal((await post(c, draft, "content", content, "send")).status, 303);
  const done = await post(c, draft, "send", weekly, "commit");
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("Location"), "/messages?done=scheduled");
  const list = await (await c.get("/messages?done=scheduled")).text();
  assert.match(list, /The message is scheduled/);
  assert.ok(subjects(list).includes("Science fair"));
  const id = [...list.matchAll(/href="\/messages\/([0-9A-Z]{12})"/g)].map((m) => m[1])[0];
  const m = (await getMessage(t.db, id))!.value;
  assert.equal(m.schedule.kind, "recurring");
  assert.equal(m.schedule.kind === "recurring" && m.schedule.rule, "FREQ=WEEKLY;BYDAY=TU");
  assert.deepEqual(toWall(m.nextAt!, TZ), { date: "2026-12-01", time: "07:00" });
  assert.doesNotMatch(m.content.emailHtml, /script/);
  assert.match(m.content.emailText, /Dear \{\{recipient.firstName\}\}/, "plain text made from the HTML");
  assert.equal(m.created.name, "Marcus Lee");
  t.close();
});

Deno.test("wizard: each step refuses bad input with the field named, keeps what was typed, and saves nothing", async () => {
  const t = await testApp();
  const c = await signedIn(t, "teacher");
  const draft = await startDraft(c);
  const r = await post(
    c,
    draft,
    "recipients",
    { calendarId: "roosevelt-2026", types: ["guardians", "staff"] },
    "content",
  );
  assert.equal(r.status, 403, "refused for want of rights");
  const rHtml = await r.text();
  assert.match(rHtml, /You do not have the right to use this calendar/);
  assert.match(rHtml, /You do not have the right to send to Staff/);
  assert.equal((await post(c, draft, "recipients", recipients, "content")).status, 303);
  const bad = await post(c, draft, "content", { ...content, subject: "", text: "Hi {{student.homeroom}}" }, "send");
  assert.equal(bad.status, 400);
  const badHtml = await bad.text();
  assert.match(badHtml, /Enter a subject/);
  assert.match(badHtml, /\{\{student.homeroom\}\}, which is not a merge field/);
  assert.match(badHtml, /Hi \{\{student.homeroom\}\}<\/textarea>/, "the text comes back as typed");
  await post(c, draft, "content", content, "send");
  for (
    const [change, reason] of [[{ type: "emergency" }, /do not have the right to send Emergency/], [
      { modes: "voice" },
      /do not have the right to send by Voice/,
    ]] as const
  ) {
    const res = await post(c, draft, "send", { ...weekly, ...change }, "commit");
    assert.equal(res.status, 403, JSON.stringify(change));
    assert.match(await res.text(), reason);
  }
  const cases: [Record<string, string>, RegExp][] = [
    [{ modes: "inbox" }, /Inbox is chosen but has no content/],
    [{ date: "2026-02-30" }, /Enter a date as YYYY-MM-DD/],
    [{ time: "25:00" }, /Enter a time as HH:MM/],
    [{ repeat: "none", date: "2026-11-26", time: "09:00" }, /in the past/],
    [{ weekdays: "" }, /Choose at least one day of the week/],
    [{ endDate: "2026-11-30" }, /before the start date/],
    [{ ends: "count", count: "0" }, /number of occurrences from 1 to 999/],
    [{ skipDates: "2026-12-08\nnext week" }, /next week&quot; is not a date/],
    [{ when: "now" }, /A recurring message needs a start date/],
  ];
  for (const [change, reason] of cases) {
    const res = await post(c, draft, "send", { ...weekly, ...change }, "commit");
    assert.equal(res.status, 400, JSON.stringify(change));
    assert.match(await res.text(), reason, JSON.stringify(change));
  }
  const list = await (await c.get("/messages")).text();
  assert.ok(!subjects(list).includes("Science fair"), "nothing was saved");
  t.close();
});

Deno.test("wizard: back and forward keep what was entered; a draft is its owner's only", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  await post(c, draft, "content", { ...content, subject: "Kept" }, "recipients");
  const back = await (await c.get(`/compose/${draft}/recipients`)).text();
  assert.match(back, /value="3" checked/);
  const forward = await (await c.get(`/compose/${draft}/content`)).text();
  assert.match(forward, /name="subject" value="Kept"/);
  const other = await signedIn(t, "teacher");
  assert.equal((await other.get(`/compose/${draft}/content`)).status, 404);
  t.close();
});

Deno.test("Send Now is due at once", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  await post(c, draft, "content", content, "send");
  const res = await post(c, draft, "send", { type: "priority", modes: ["email", "text"], when: "now" }, "commit");
  assert.equal(res.headers.get("Location"), "/messages?tab=in-progress&done=queued", "lands where the message is");
  const progress = await (await c.get(res.headers.get("Location")!)).text();
  assert.match(progress, /The message is queued to send now\./);
  assert.equal(subjects(progress)[0], "Science fair", "in Processing at once");
  assert.match(progress, /status-processing">Processing</);
  await settle(t);
  const done = await (await c.get("/messages?tab=in-progress")).text();
  assert.ok(!subjects(done).includes("Science fair"), "sent and gone from In Progress");
  t.close();
});

Deno.test("Edit Message: updates the series, records who and what; a stale second edit is refused", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const comms = await signedIn(t, "comms");
  const open = async (c: Client) => {
    const res = await c.get("/messages/msg-lunch/edit");
    assert.equal(res.status, 303);
    return res.headers.get("Location")!.split("/")[2];
  };
  const a = await open(admin);
  const b = await open(comms);
  const edited = await post(admin, a, "send", {
    type: "priority",
    modes: ["text", "email"],
    when: "later",
    date: "2026-12-14",
    time: "16:30",
    repeat: "weekly",
    weekdays: ["MO", "TH"],
    ends: "date",
    endDate: "",
    skipNoSchoolDays: "on",
  }, "commit");
  assert.equal(edited.status, 303);
  assert.equal(edited.headers.get("Location"), "/messages?done=updated");
  const m = (await getMessage(t.db, "msg-lunch"))!.value;
  assert.equal(m.modified?.name, "Dana Whitfield");
  assert.deepEqual(toWall(m.nextAt!, TZ), { date: "2026-12-14", time: "16:30" }, "weeks before the new start are gone");
  const [entry] = await listAudit(t.db, "msg-lunch");
  assert.equal(entry.action, "edited");
  assert.ok(entry.changes.some((ch) => ch.field === "Schedule" && ch.after.includes("2026-12-14")));
  const stale = await post(comms, b, "send", {
    type: "priority",
    modes: ["text"],
    when: "later",
    date: "2026-12-03",
    time: "16:30",
    repeat: "weekly",
    weekdays: ["TH"],
    ends: "date",
    skipNoSchoolDays: "on",
  }, "commit");
  assert.equal(stale.status, 409);
  assert.match(await stale.text(), /changed by Dana Whitfield at .* after you started editing/);
  assert.deepEqual((await getMessage(t.db, "msg-lunch"))!.value, m, "the first edit stands");
  const details = await (await admin.get("/messages/msg-lunch")).text();
  assert.match(details, /edited by Dana Whitfield/);
  assert.match(details, /<th scope="row">Schedule<\/th>/, "the history shows what changed");
  t.close();
});

Deno.test("Edit Message: others' messages are 404 without the All right", async () => {
  const t = await testApp();
  const teacher = await signedIn(t, "teacher");
  assert.equal((await teacher.get("/messages/msg-early-release/edit")).status, 404);
  assert.equal((await teacher.get("/messages/msg-early-release/cancel")).status, 404);
  assert.equal((await teacher.post("/messages/msg-early-release/cancel", { confirm: "yes" })).status, 404);
  assert.equal((await teacher.get("/messages/msg-attendance/edit")).status, 303);
  t.close();
});

Deno.test("Cancel Series: without Confirm nothing changes; with it the series leaves the list, the audit keeps who", async () => {
  const t = await testApp();
  const c = await signedIn(t, "teacher");
  const page = await (await c.get("/messages/msg-attendance/cancel")).text();
  assert.match(page, /Cancel Series/);
  const before = await getMessage(t.db, "msg-attendance");
  assert.equal((await c.post("/messages/msg-attendance/cancel", {})).status, 400);
  assert.deepEqual(await getMessage(t.db, "msg-attendance"), before);
  const res = await c.post("/messages/msg-attendance/cancel", { confirm: "yes" });
  assert.equal(res.headers.get("Location"), "/messages?done=canceled");
  assert.ok(!subjects(await (await c.get("/messages")).text()).includes("Weekly attendance summary"));
  const [entry] = await listAudit(t.db, "msg-attendance");
  assert.equal(entry.action, "canceled the series");
  assert.equal(entry.name, "Priya Natarajan");
  assert.equal((await c.post("/messages/msg-attendance/cancel", { confirm: "yes" })).status, 404, "only once");
  const details = await (await c.get("/messages/msg-attendance")).text();
  assert.match(details, /Canceled by Priya Natarajan/);
  assert.doesNotMatch(details, /Edit Message/);
  t.close();
});

Deno.test("attachments: stored in chunks, over the limit or a wrong type is a clear error", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  const upload = (files: File[]) => {
    const form = new FormData();
    form.set("_csrf", c.csrf);
    form.set("go", "content");
    for (const [k, v] of Object.entries(content)) form.set(k, v);
    for (const f of files) form.append("files", f);
    return c.request(`/compose/${draft}/content`, { method: "POST", body: form });
  };
  const big = new File([new Uint8Array(10 * 1024 * 1024 + 1)], "huge.pdf", { type: "application/pdf" });
  const tooBig = await upload([big]);
  assert.equal(tooBig.status, 413);
  assert.match(await tooBig.text(), /the limit is 10\.0 MB per message/);
  const exe = await upload([new File(["MZ"], "setup.exe")]);
  assert.equal(exe.status, 413);
  assert.match(await exe.text(), /setup.exe&quot; is not a type Messenger can attach/);
  const pdfBytes = new Uint8Array(150_000).map((_, i) => i % 251);
  const ok = await upload([new File([pdfBytes], "flyer.pdf")]);
  assert.equal(ok.status, 303);
  const page = await (await c.get(`/compose/${draft}/content`)).text();
  assert.match(page, /Remove flyer.pdf \(146 KB\)/);
  await post(c, draft, "send", { ...weekly, modes: "email" }, "commit");
  const list = await (await c.get("/messages?subject=science")).text();
  const id = /href="\/messages\/([0-9A-Z]{12})"/.exec(list)![1];
  const m = (await getMessage(t.db, id))!.value;
  assert.equal(m.attachments.length, 1);
  const download = await c.get(`/messages/${id}/attachments/${m.attachments[0].id}`);
  assert.deepEqual(new Uint8Array(await download.arrayBuffer()), pdfBytes);
  t.close();
});

Deno.test("unknown wizard step or draft is a 404; time moves on for the scheduled-time check", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  assert.equal((await c.get("/compose/ABCDEFGHJKMN/content")).status, 404);
  const draft = await startDraft(c);
  assert.equal((await c.get(`/compose/${draft}/finish`)).status, 404);
  t.clock.at = NOW;
  t.close();
});

Deno.test("over-long fields are refused with the field named, never a 500", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  const res = await post(c, draft, "content", { ...content, subject: "x".repeat(5000) }, "send");
  assert.equal(res.status, 400);
  assert.match(await res.text(), /is too long: at most 200 characters/);
  const send = await post(c, draft, "send", { ...weekly, monthDay: "last-of-all", count: "123456789" }, "preview");
  assert.equal(send.status, 400);
  assert.match(await send.text(), /at most 4 characters/);
  t.close();
});

Deno.test("a request body over the limit is refused with 413 before it is read whole", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  const body = new Uint8Array(12 * 1024 * 1024);
  const res = await c.request(`/compose/${draft}/content`, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": c.csrf },
  });
  assert.equal(res.status, 413);
  assert.match(await res.text(), /too large/);
  const small = await c.request("/signout", {
    method: "POST",
    body: new Uint8Array(300 * 1024),
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": c.csrf },
  });
  assert.equal(small.status, 413);
  t.close();
});

Deno.test("individual people: one outside the calendar's school is refused by id at find, preview, Next and commit, never named", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  // stu201 is Ava Haddad, a Roosevelt student; office has Lincoln's calendar only.
  const outside = { calendarId: "lincoln-2026", types: "individuals", personIds: "stu201" };
  const refused = /One or more chosen people are not in this calendar.s school/;
  const unnamed = (html: string) => {
    assert.doesNotMatch(html, /Ava Haddad \(student/);
    assert.doesNotMatch(html, /stu201/);
  };
  for (const go of ["find", "preview", "content"]) {
    const res = await post(c, draft, "recipients", { ...outside, find: "Haddad" }, go);
    assert.equal(res.status, 400, go);
    const html = await res.text();
    assert.match(html, refused, go);
    unnamed(html);
  }
  const htmx = await c.post(`/compose/${draft}/preview`, outside);
  assert.equal(htmx.status, 400);
  unnamed(await htmx.text());
  const page = await c.get(`/compose/${draft}/recipients`);
  assert.equal(page.status, 200);
  unnamed(await page.text());

  const inside = await post(c, draft, "recipients", { ...outside, personIds: ["stu1", "stu201"] }, "preview");
  assert.equal(inside.status, 400);
  const insideHtml = await inside.text();
  assert.match(insideHtml, /Maya Clark \(student\)/, "the Lincoln student stays chosen");
  unnamed(insideHtml);

  const individualContent = { ...content, emailHtml: "<p>Dear {{recipient.firstName}}</p>", text: "" };
  assert.equal((await post(c, draft, "content", individualContent, "send")).status, 303);
  const commit = await post(c, draft, "send", { ...weekly, subject: "Science fair" }, "commit");
  assert.equal(commit.status, 400, "a draft holding the id is refused at Send");
  const commitHtml = await commit.text();
  assert.match(commitHtml, refused);
  unnamed(commitHtml);
  assert.ok(!subjects(await (await c.get("/messages")).text()).includes("Science fair"), "nothing was saved");

  assert.equal((await post(c, draft, "recipients", { ...outside, personIds: "stu1" }, "content")).status, 303);
  t.close();
});

Deno.test("individual people: the calendar's school decides, for an administrator too", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const draft = await startDraft(c);
  const lincoln = await post(c, draft, "recipients", {
    calendarId: "lincoln-2026",
    types: "individuals",
    personIds: "stu201",
  }, "content");
  assert.equal(lincoln.status, 400);
  assert.doesNotMatch(await lincoln.text(), /Ava Haddad/);
  const roosevelt = await post(c, draft, "recipients", {
    calendarId: "roosevelt-2026",
    types: "individuals",
    personIds: "stu201",
  }, "preview");
  assert.equal(roosevelt.status, 200);
  assert.match(await roosevelt.text(), /Ava Haddad \(student\)/);
  t.close();
});

Deno.test("merge fields named like object internals are unknown fields at the Content step (400), never a 500", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  for (const field of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const typed = { ...content, text: `Hi {{${field}}}` };
    for (const go of ["preview", "send"]) {
      const res = await post(c, draft, "content", typed, go);
      const html = await res.text();
      if (go === "send") {
        assert.equal(res.status, 400, field);
        assert.match(html, new RegExp(`\\{\\{${field}\\}\\}, which is not a merge field`), field);
      } else assert.ok(res.status < 500, `${field} preview: ${res.status}`);
    }
    assert.equal((await c.get(`/compose/${draft}/content`)).status, 200, field);
    const commit = await post(c, draft, "send", weekly, "commit");
    assert.equal(commit.status, 400, `${field} at Send`);
    await commit.body?.cancel();
  }
  assert.ok(!subjects(await (await c.get("/messages")).text()).includes("Science fair"), "nothing was saved");
  t.close();
});

Deno.test("Send Options: hostile dates and numbers are field errors (400, filled in) or harmless; the step always renders", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const monthly = { ...weekly, repeat: "monthly", monthlyBy: "day", monthDay: "5" };
  const once = { ...weekly, repeat: "none" };
  const refused: [Record<string, string>, string, RegExp][] = [];
  for (
    const date of ["0000-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "2026-12-00", "0000-00-00", "-1", "1e9"]
  ) {
    refused.push([{ ...once, date }, date, /Enter a date|within five years/]);
    refused.push([{ ...weekly, date }, date, /Enter a date|within five years/]);
    refused.push([{ ...weekly, skipDates: `2026-12-08\n${date}` }, date, /is not a date|within five years/]);
    refused.push([{ ...weekly, endDate: date }, date, /end date|within five years/]);
  }
  refused.push(
    [{ ...weekly, date: "+275760-09-13" }, "+275760-09", /at most 10 characters/],
    [{ ...weekly, interval: "99999" }, "999", /at most 3 characters/],
    [{ ...weekly, interval: "0" }, "0", /from 1 to 99/],
    [{ ...weekly, ends: "count", count: "9999" }, "9999", /from 1 to 999/],
    [{ ...weekly, endDate: "2026-11-30" }, "2026-11-30", /before the start date/],
    [{ ...weekly, time: "25:99" }, "25:99", /Enter a time/],
    [{ ...weekly, time_email: "25:99" }, "25:99", /Enter a time/],
    [{ ...monthly, monthDay: "0" }, "0", /day of the month/],
    [{ ...monthly, monthDay: "99" }, "99", /day of the month/],
    [{ ...monthly, monthlyBy: "weekday", nth: "-7", nthWeekday: "MO" }, "", /first, second/],
    [
      { ...monthly, date: "2027-02-01", monthDay: "31", interval: "12", ends: "count", count: "999" },
      "",
      /no delivery/,
    ],
  );
  const harmless = [
    { ...monthly, monthDay: "last" },
    { ...weekly, skipDates: "2026-12-08\n2026-12-15" },
    { ...monthly, monthlyBy: "weekday", nth: "-1", nthWeekday: "FR" },
    { ...weekly, interval: "99", ends: "count", count: "999" },
    { ...monthly, interval: "99", ends: "count", count: "999" },
  ];
  const fresh = async () => {
    const draft = await startDraft(c);
    await post(c, draft, "recipients", recipients, "content");
    await post(c, draft, "content", content, "send");
    return draft;
  };
  for (const [fields, shown, reason] of refused) {
    const draft = await fresh();
    const label = JSON.stringify(fields);
    const previewed = await post(c, draft, "send", fields, "preview");
    assert.ok(previewed.status < 500, `${label} preview: ${previewed.status}`);
    await previewed.body?.cancel();
    const res = await post(c, draft, "send", fields, "commit");
    assert.equal(res.status, 400, label);
    const html = await res.text();
    assert.match(html, reason, label);
    assert.ok(html.includes(shown), `${label}: the typed value comes back`);
    const again = await c.get(`/compose/${draft}/send`);
    assert.equal(again.status, 200, `${label} GET`);
    await again.body?.cancel();
  }
  for (const fields of harmless) {
    const draft = await fresh();
    const label = JSON.stringify(fields);
    const previewed = await post(c, draft, "send", fields, "preview");
    assert.equal(previewed.status, 200, label);
    assert.match(await previewed.text(), /Next deliveries/, label);
    assert.equal((await c.get(`/compose/${draft}/send`)).status, 200, `${label} GET`);
  }
  t.close();
});

Deno.test("the recipient preview reads an unchecked message type as General, never a device's own property", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  const previewFor = async (type: string) => {
    await post(c, draft, "send", { ...weekly, type }, "preview");
    const html = await (await c.get(`/compose/${draft}/recipients`)).text();
    return /<div id="recipient-preview".*?<\/div>/s.exec(html)![0];
  };
  const general = await previewFor("general");
  for (const type of ["constructor", "toString", "bogus"]) assert.equal(await previewFor(type), general, type);
  t.close();
});

Deno.test("Send Options without JavaScript: skip dates are added from a date input and removed one by one", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  await post(c, draft, "content", content, "send");
  const hidden = (html: string) => [...html.matchAll(/name="skipDates" value="([^"]*)"/g)].map((m) => m[1]);

  const added = await post(c, draft, "send", { ...weekly, skipDate: "2026-12-08" }, "skip-add");
  assert.equal(added.status, 200);
  let html = await added.text();
  assert.deepEqual(hidden(html), ["2026-12-08"]);
  assert.match(html, /Tue, Dec 8, 2026<input type="hidden"/);
  assert.match(html, /value="unskip:2026-12-08"[^>]*>Remove<span class="visually-hidden"> Tue, Dec 8, 2026<\/span>/);
  assert.match(html, /name="skipDate" value\/>/, "the date input is empty again");
  assert.match(html, /Dec 8, 2026, 7:00 AM CST \(skipped\)/, "the next deliveries show it skipped");

  const second = await post(
    c,
    draft,
    "send",
    { ...weekly, skipDates: "2026-12-08", skipDate: "2026-12-15" },
    "skip-add",
  );
  assert.deepEqual(hidden(await second.text()), ["2026-12-08", "2026-12-15"], "sorted, once each");

  const bad = await post(c, draft, "send", {
    ...weekly,
    skipDates: ["2026-12-08", "2026-12-15"],
    skipDate: "2032-06-01",
  }, "skip-add");
  assert.equal(bad.status, 400);
  html = await bad.text();
  assert.match(html, /id="skipDate-error">Choose a date to skip within five years/);
  assert.match(html, /name="skipDate" value="2032-06-01" aria-invalid="true"/, "the typed date stays");
  assert.deepEqual(hidden(html), ["2026-12-08", "2026-12-15"], "the list is unchanged");
  const empty = await post(c, draft, "send", { ...weekly, skipDates: "2026-12-08" }, "skip-add");
  assert.equal(empty.status, 400);
  assert.match(await empty.text(), /Choose a date to skip/);

  const removed = await post(
    c,
    draft,
    "send",
    { ...weekly, skipDates: ["2026-12-08", "2026-12-15"] },
    "unskip:2026-12-08",
  );
  assert.equal(removed.status, 200);
  assert.deepEqual(hidden(await removed.text()), ["2026-12-15"]);

  // A date typed but never added is not lost: Send takes it too.
  const done = await post(c, draft, "send", { ...weekly, skipDates: "2026-12-15", skipDate: "2026-12-22" }, "commit");
  assert.equal(done.status, 303);
  const id = /href="\/messages\/([0-9A-Z]{12})"/.exec(await (await c.get("/messages?subject=science")).text())![1];
  const m = (await getMessage(t.db, id))!.value;
  assert.deepEqual(m.schedule.kind === "recurring" && m.schedule.skipDates, ["2026-12-15", "2026-12-22"]);
  t.close();
});

Deno.test("Send Options: Update next deliveries posts the form and comes back filled in, or says why there are none", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await startDraft(c);
  await post(c, draft, "recipients", recipients, "content");
  await post(c, draft, "content", content, "send");
  const html = await (await c.get(`/compose/${draft}/send`)).text();
  assert.match(
    html,
    /<button type="submit" name="go" value="preview" class="secondary" formaction="\/compose\/\w+\/send#next-deliveries">Update next deliveries<\/button>/i,
  );
  const updated = await post(c, draft, "send", { ...weekly, weekdays: ["TU", "TH"] }, "preview");
  assert.equal(updated.status, 200);
  const page = await updated.text();
  assert.match(page, /<p>Every week on Tuesday, Thursday/);
  assert.match(page, /Thu, Dec 3, 2026, 7:00 AM CST/);
  assert.match(page, /name="weekdays" value="TH" checked/, "the form comes back filled in");
  const refused = await post(c, draft, "send", { ...weekly, modes: [], endDate: "2026-11-30" }, "preview");
  assert.equal(refused.status, 400);
  const why = await refused.text();
  assert.match(why, /Choose at least one delivery mode/);
  assert.match(why, /Fix what is marked above to see the next deliveries\./);
  assert.match(why, /name="endDate" value="2026-11-30"/);
  t.close();
});

Deno.test("Edit Message: Cancel Series is apart, below the form, and not the prominent button", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const res = await c.get("/messages/msg-lunch/edit");
  const html = await (await c.get(res.headers.get("Location")!)).text();
  const form = html.indexOf("</form>");
  const cancel = html.indexOf('href="/messages/msg-lunch/cancel"');
  assert.ok(form > 0 && cancel > form, "the cancel link comes after the form");
  assert.match(html, /<section class="danger-zone" aria-labelledby="danger-h">/);
  assert.match(html, /<a class="button danger-outline" href="\/messages\/msg-lunch\/cancel">Cancel Series<\/a>/);
  t.close();
});
