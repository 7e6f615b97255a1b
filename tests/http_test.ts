import { DISTRICT_DEFAULTS } from "../services/model.ts";
import assert from "node:assert/strict";
import { Client, NOW, signedIn, subjects, testApp, TestClock } from "./support/app.ts";
import { createApp } from "../app.ts";
import { Dispatcher } from "../services/dispatch/dispatcher.ts";
import { outboxProviders } from "../services/providers/outbox.ts";
import { ensureDistrict, needsFirstAdmin } from "../services/setup.ts";
import { getUserByLogin } from "../services/store/users.ts";
import { getMessage } from "../services/store/messages.ts";
import { Background } from "../services/background.ts";

Deno.test("sign-in page lists the demo accounts in demo mode only", async () => {
  const demo = await testApp();
  const html = await (await new Client(demo.app).get("/signin")).text();
  assert.match(html, /demo-admin/);
  demo.close();
  const prod = await testApp({ demo: false });
  const prodHtml = await (await new Client(prod.app).get("/signin")).text();
  assert.doesNotMatch(prodHtml, /demo-admin/);
  prod.close();
});

Deno.test("sign in: wrong password is refused with the login kept; right one opens a session; sign out ends it", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  await c.get("/signin");
  const bad = await c.post("/signin", { login: "teacher", password: "nope" });
  assert.equal(bad.status, 401);
  const badHtml = await bad.text();
  assert.match(badHtml, /login or password is not right/);
  assert.match(badHtml, /name="login" value="teacher"/);
  const good = await c.post("/signin", {
    login: "teacher",
    password: "demo-teacher",
    next: "/messages?tab=in-progress",
  });
  assert.equal(good.status, 303);
  assert.equal(good.headers.get("Location"), "/messages?tab=in-progress");
  const cookie = good.headers.getSetCookie().find((h) => h.startsWith("messenger_session="))!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.equal((await c.get("/messages")).status, 200);
  const session = c.cookies.get("messenger_session")!;
  assert.equal((await c.post("/signout", {})).status, 303);
  // The old cookie no longer works: the session ended on the server.
  c.cookies.set("messenger_session", session);
  assert.equal((await c.get("/messages")).status, 303);
  t.close();
});

Deno.test("sign in: an off-site next is ignored", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  await c.get("/signin");
  const res = await c.post("/signin", { login: "admin", password: "demo-admin", next: "//evil.example/x" });
  assert.equal(res.headers.get("Location"), "/messages");
  t.close();
});

Deno.test("sign in: five failures lock the login, even for the right password", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  await c.get("/signin");
  for (let i = 0; i < 4; i++) assert.equal((await c.post("/signin", { login: "office", password: "x" })).status, 401);
  const locked = await c.post("/signin", { login: "office", password: "x" });
  assert.equal(locked.status, 429);
  assert.match(await locked.text(), /Too many failed sign-ins/);
  assert.equal((await c.post("/signin", { login: "office", password: "demo-office" })).status, 429);
  t.clock.at = NOW + 16 * 60_000;
  assert.equal((await c.post("/signin", { login: "office", password: "demo-office" })).status, 303);
  t.close();
});

Deno.test("sign in: empty fields get 400 with the field named", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  await c.get("/signin");
  const res = await c.post("/signin", { login: "", password: "" });
  assert.equal(res.status, 400);
  const html = await res.text();
  assert.match(html, /Enter your login/);
  assert.match(html, /Enter your password/);
  t.close();
});

Deno.test("Upcoming Messages: My Messages lists only the user's own, soonest first", async () => {
  const t = await testApp();
  const c = await signedIn(t, "teacher");
  const html = await (await c.get("/messages")).text();
  // Reading log is weekly on Thursdays but skips Thanksgiving break (no school), so Dec 3 comes last.
  assert.deepEqual(subjects(html), [
    "Weekly attendance summary",
    "Field trip permission slips due",
    "Reading log reminder",
  ]);
  assert.doesNotMatch(html, /All Messages/);
  t.close();
});

Deno.test("Upcoming Messages: without the All right, scope=all still shows only the user's own", async () => {
  const t = await testApp();
  const c = await signedIn(t, "teacher");
  const html = await (await c.get("/messages?scope=all")).text();
  assert.deepEqual(subjects(html).sort(), [
    "Field trip permission slips due",
    "Reading log reminder",
    "Weekly attendance summary",
  ]);
  const progress = await (await c.get("/messages?tab=in-progress&scope=all")).text();
  assert.deepEqual(subjects(progress), ["Spelling bee results"]);
  t.close();
});

Deno.test("Upcoming Messages: All Messages for the admin; the office user sees only its calendar", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const all = subjects(await (await admin.get("/messages?scope=all")).text());
  assert.equal(all.length, 10);
  const office = await signedIn(t, "office");
  const officeAll = subjects(await (await office.get("/messages?scope=all")).text());
  assert.deepEqual(officeAll.sort(), [
    "Early release Friday",
    "Field trip permission slips due",
    "Reading log reminder",
    "Staff meeting moved to the library",
    "Weekly attendance summary",
  ]);
  t.close();
});

Deno.test("Upcoming Messages: the three filters combine and stay in the links", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const byCreator = subjects(await (await c.get("/messages?scope=all&createdBy=priya")).text());
  assert.deepEqual(byCreator.sort(), [
    "Field trip permission slips due",
    "Reading log reminder",
    "Weekly attendance summary",
  ]);
  const bySubject = subjects(await (await c.get("/messages?scope=all&subject=LUNCH")).text());
  assert.deepEqual(bySubject, ["Lunch account balance low"]);
  const byCalendar = subjects(await (await c.get("/messages?scope=all&calendar=washington-2026")).text());
  assert.deepEqual(byCalendar.sort(), ["Lunch account balance low", "Washington monthly newsletter"]);
  const combined = await (await c.get("/messages?scope=all&calendar=lincoln-2026&createdBy=priya&subject=trip")).text();
  assert.deepEqual(subjects(combined), ["Field trip permission slips due"]);
  assert.match(combined, /name="subject" value="trip"/);
  assert.match(
    combined,
    /href="\/messages\?tab=in-progress&amp;scope=all&amp;createdBy=priya&amp;subject=trip&amp;calendar=lincoln-2026"/,
  );
  t.close();
});

Deno.test("Upcoming Messages: bad query strings get 400 with the field and reason, never a 500", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const cases: [string, RegExp][] = [
    ["/messages?tab=sent", /must be scheduled or in-progress/],
    ["/messages?scope=everyone", /must be mine or all/],
    ["/messages?subject=" + "x".repeat(201), /at most 200 characters/],
    ["/messages?calendar=../../etc", /is not a calendar id/],
    ["/messages?calendar=nosuch", /is not a calendar you have rights to/],
    ["/messages?cursor=%%%", /page link is not one of ours/],
    ["/messages?cursor=AQ", /out of date/],
  ];
  for (const [url, reason] of cases) {
    const res = await c.get(url);
    assert.equal(res.status, 400, url);
    assert.match(await res.text(), reason, url);
  }
  const teacher = await signedIn(t, "teacher");
  const res = await teacher.get("/messages?calendar=roosevelt-2026");
  assert.equal(res.status, 400, "a calendar the teacher has no rights to");
  t.close();
});

Deno.test("Upcoming Messages: In Progress shows runs with status labels; old failures drop off after 7 days", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const html = await (await c.get("/messages?tab=in-progress&scope=all")).text();
  assert.deepEqual(subjects(html), [
    "Picture day retakes",
    "Spelling bee results",
    "Bus 14 running 20 minutes late",
    "Gym closed for floor refinishing",
  ]);
  for (const label of ["Processing", "Sending", "Canceling", "Failed"]) {
    assert.match(html, new RegExp(`class="status status-\\w+">${label}<`));
  }
  t.clock.at = NOW + 4 * 86_400_000 + 60_000;
  const later = subjects(await (await c.get("/messages?tab=in-progress&scope=all")).text());
  assert.ok(!later.includes("Gym closed for floor refinishing"));
  t.close();
});

Deno.test("Upcoming Messages: entries carry type, icons with names, times and people", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const html = await (await c.get("/messages?scope=all&subject=newsletter")).text();
  assert.match(html, /class="type type-general">General</);
  for (const name of ["Recurring", "Attachment"]) {
    assert.match(html, new RegExp(`aria-label="${name}"`));
  }
  // Modes are words, their icons beside them hidden from screen readers (which read the word).
  for (const name of ["Inbox", "Email"]) {
    assert.match(html, new RegExp(`class="mode"><svg class="icon" aria-hidden="true"[^>]*>.*?</svg>${name}</span>`));
  }
  assert.match(html, /Every month on the 2nd Tuesday/);
  assert.match(html, /Dec 8, 2026, 8:00 AM CST/);
  assert.match(html, /<dt>Created By<\/dt><dd>Elena Ruiz<\/dd><dt>Modified By<\/dt><dd>Dana Whitfield<\/dd>/);
  t.close();
});

Deno.test("Upcoming Messages: an htmx request gets the fragment only", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const res = await c.get("/messages?scope=all", { "HX-Request": "true" });
  const html = await res.text();
  assert.match(res.headers.get("Vary") ?? "", /HX-Request/);
  assert.doesNotMatch(html, /<html/);
  assert.match(html, /^<section id="upcoming"/);
  assert.equal(subjects(html).length, 10);
  t.close();
});

Deno.test("View Details: recipients, schedule, content, history", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const res = await c.get("/messages/msg-lunch");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /Edit Message/);
  assert.match(html, /Every week on Monday, Thursday/);
  assert.match(html, /By delivery mode/);
  assert.match(html, /Excluded: opted out/);
  assert.match(html, /\(skipped\)/, "the series' skip date is listed and marked");
  assert.match(html, /Modified By/);
  assert.match(html, /created by Dana Whitfield/);
  t.close();
});

Deno.test("View Details: another user's message is a 404 without the All right", async () => {
  const t = await testApp();
  const teacher = await signedIn(t, "teacher");
  assert.equal((await teacher.get("/messages/msg-early-release")).status, 404);
  assert.equal((await teacher.get("/runs/R7K3Q9XD2M4P")).status, 404);
  assert.equal((await teacher.get("/messages/msg-early-release/attachments/x")).status, 404);
  assert.equal((await teacher.get("/messages/msg-attendance")).status, 200);
  assert.equal((await teacher.get("/messages/no-such-message")).status, 404);
  assert.equal((await teacher.get("/messages/%3Cscript%3E")).status, 404);
  const office = await signedIn(t, "office");
  assert.equal((await office.get("/messages/msg-lunch")).status, 404, "another school's calendar");
  assert.equal((await office.get("/messages/msg-attendance")).status, 200, "with View/Edit All on its calendar");
  t.close();
});

Deno.test("View Details of a failed run: Message ID, error reason, stage, when", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const html = await (await c.get("/runs/R9M4T6HA3E7S")).text();
  assert.match(html, /R9M4T6HA3E7S/);
  assert.match(html, /Error reason/);
  assert.match(html, /student\.homeroom/);
  assert.match(html, /Processing: rendering merge fields/);
  assert.match(html, /Nobody received this message/);
  const sending = await (await c.get("/runs/R7K3Q9XD2M4P")).text();
  assert.match(sending, /Cancel Message/);
  assert.match(sending, /Redial pending/);
  t.close();
});

Deno.test("View Details of a run refreshes itself while it is live, and stops claiming it once it is done", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  for (const id of ["R7K3Q9XD2M4P", "R2F8W1NB6T0H", "R5J0Z3KC8V1Q"]) {
    const html = await (await c.get(`/runs/${id}`)).text();
    assert.match(html, /data-island="AutoRefresh" data-props="[^"]*run-status[^"]*run-progress/, `${id} refreshes`);
    assert.match(html, /America\/Chicago/, "the island formats Updated in the district's zone");
    assert.match(html, /<noscript data-reload><meta http-equiv="refresh" content="60"><\/noscript>/, `${id} reloads`);
    assert.match(html, /<dd id="run-status">/);
    assert.match(html, /<div id="run-progress">/);
  }
  const failed = await (await c.get("/runs/R9M4T6HA3E7S")).text();
  assert.doesNotMatch(failed, /AutoRefresh|http-equiv="refresh"|Refreshes every/, "a Failed run does not change");
  t.close();
});

Deno.test("Upcoming Messages: without JavaScript the page reloads itself; htmx's fragments never carry the reload", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const html = await (await c.get("/messages")).text();
  assert.match(html, /Refreshes every 60 seconds/);
  assert.match(html, /<main id="main"><noscript data-reload><meta http-equiv="refresh" content="60"><\/noscript>/);
  assert.ok(html.indexOf("data-reload") < html.indexOf('id="upcoming"'), "outside what htmx swaps");
  const fragment = await (await c.get("/messages?tab=in-progress", { "HX-Request": "true" })).text();
  assert.doesNotMatch(fragment, /http-equiv/);
  t.close();
});

Deno.test("In Progress counts read in the order a delivery moves: pending, sent, delivered, then failed, canceled", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const html = await (await c.get("/messages?tab=in-progress&scope=all")).text();
  const lines = [...html.matchAll(/<span class="counts-line">(.*?)<\/span><\/p>/g)]
    .map((m) => m[1].replaceAll(/<[^>]+>/g, ""));
  assert.ok(lines.includes("Email: 12 sent, 20 delivered, 9 canceled"), lines.join(" | "));
  const order = ["pending", "sent", "delivered", "failed", "canceled", "redial pending"];
  for (const line of lines) {
    for (const part of line.split(" · ")) {
      const seen = [...part.matchAll(/\d+ ([a-z ]+?)(?=,|$)/g)].map((m) => order.indexOf(m[1]));
      assert.deepEqual(seen, [...seen].sort((a, b) => a - b), part);
    }
  }
  t.close();
});

Deno.test("Cancel Message: the way back is the prominent button, first; Confirm says what it does, apart", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const html = await (await c.get("/runs/R7K3Q9XD2M4P/cancel")).text();
  const back = html.indexOf('<a class="button" href="/runs/R7K3Q9XD2M4P">Keep sending</a>');
  const confirm = html.indexOf(">Confirm Cancel Message</button>");
  assert.ok(back > 0 && confirm > back, "Keep sending comes first, as a button");
  assert.match(html, /<form method="post" action="\/runs\/R7K3Q9XD2M4P\/cancel" class="confirm-danger">/);
  t.close();
});

Deno.test("the demo's Early release Friday falls on a Friday with school", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const html = await (await c.get("/messages/msg-early-release")).text();
  // NOW is Thanksgiving; the Friday after it is Thanksgiving break, so the next Friday with school.
  assert.match(html, /Fri, Dec 4, 2026, 7:30 AM CST/);
  t.close();
});

Deno.test("attachments download for those who may see the message", async () => {
  const t = await testApp();
  const c = await signedIn(t, "teacher");
  const res = await c.get("/messages/msg-field-trip/attachments/att-msg-field-trip");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Content-Type"), "application/pdf");
  assert.match(await res.text(), /^%PDF-1\.1/);
  t.close();
});

Deno.test("Edit Message opens the wizard on a draft; the message is unchanged until Update", async () => {
  const t = await testApp();
  const c = await signedIn(t, "teacher");
  const before = await getMessage(t.db, "msg-attendance");
  const res = await c.get("/messages/msg-attendance/edit");
  assert.equal(res.status, 303);
  const step1 = await c.get(res.headers.get("Location")!);
  assert.match(await step1.text(), /Edit Message: Weekly attendance summary/);
  assert.deepEqual(await getMessage(t.db, "msg-attendance"), before);
  assert.equal((await c.get("/messages/msg-early-release/edit")).status, 404);
  t.close();
});

Deno.test("static files and health", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  const css = await c.get("/static/app.css");
  assert.equal(css.status, 200);
  const etag = css.headers.get("ETag")!;
  await css.body?.cancel();
  assert.equal((await c.get("/static/app.css", { "If-None-Match": etag })).status, 304);
  assert.equal((await c.get("/static/..%2fmain.ts")).status, 404);
  assert.equal((await c.get("/static/.hidden.css")).status, 404);
  const health = await c.get("/healthz");
  assert.deepEqual(await health.json(), {
    ok: true,
    kv: "reachable",
    district: "demo",
    lastDispatchTick: null,
    providers: { email: "outbox", sms: "outbox", voice: "outbox" },
  });
  await t.dispatcher.tick();
  assert.equal((await (await c.get("/healthz")).json()).lastDispatchTick, new Date(NOW).toISOString());
  t.close();
});

Deno.test("first run in production: the set-up page creates the first administrator once, with the logged token", async () => {
  const kv = await Deno.openKv(":memory:");
  const db = { kv, districtId: "prod" };
  await ensureDistrict(db, {
    name: "Prod",
    timeZone: "America/Denver",
    ...DISTRICT_DEFAULTS,
  });
  const clock = new TestClock();
  const providers = outboxProviders(db, clock);
  const app = createApp({
    db,
    background: new Background(),
    clock,
    demo: false,
    secureCookies: true,
    refreshMs: 60_000,
    setupToken: "tok",
    dispatcher: new Dispatcher({ db, clock, providers, publicUrl: "http://127.0.0.1:9" }),
    providers,
    providerNames: providers.names,
    publicUrl: "http://127.0.0.1:9",
  });
  const c = new Client(app);
  assert.match(await (await c.get("/signin")).text(), /Set up Messenger/);
  const fields = { login: "root", name: "Ada Admin", password: "a-long-password", confirm: "a-long-password" };
  const short = await c.post("/setup", { ...fields, token: "tok", password: "short", confirm: "short" });
  assert.equal(short.status, 400);
  const shortHtml = await short.text();
  assert.match(shortHtml, /at least 12 characters/);
  assert.match(shortHtml, /value="Ada Admin"/, "the form comes back filled in");
  assert.equal((await c.post("/setup", { ...fields, token: "wrong" })).status, 403);
  assert.equal(await needsFirstAdmin(db), true, "nothing created by refused attempts");
  assert.equal((await c.post("/setup", { ...fields, token: "tok" })).status, 303);
  assert.equal(await needsFirstAdmin(db), false);
  assert.equal((await c.get("/setup")).status, 302, "set-up is closed once an administrator exists");
  const again = await c.post("/setup", { ...fields, login: "second", token: "tok" });
  assert.equal(again.status, 303);
  assert.equal(await getUserByLogin(db, "second"), null);
  const signIn = await c.signIn("root", "a-long-password");
  assert.equal(signIn.status, 303);
  assert.match(signIn.headers.getSetCookie().join("\n"), /messenger_session=[^;]+;.*Secure/);
  assert.doesNotMatch(await (await c.get("/signin")).text(), /demo-admin/);
  kv.close();
});
