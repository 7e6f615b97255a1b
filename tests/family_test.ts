import assert from "node:assert/strict";
import { Client, makeDue, NOW, settle, signedIn, type TestApp, testApp } from "./support/app.ts";
import { preferencesPath } from "../services/preferences.ts";
import { addToInbox, listInbox } from "../services/store/inbox.ts";
import { INBOX_PAGE_SIZE } from "../services/family_inbox.ts";
import { deliveriesOf, type Delivery, runReadCount } from "../services/store/deliveries.ts";
import { FAMILY_IDLE_MS } from "../services/family_session.ts";
import { getPerson, savePerson } from "../services/store/people.ts";

const words = (html: string) => html.replaceAll(/<[^>]+>/g, "");

/** Send Now of the field trip (it has an attachment) to the inbox; the run and its inbox deliveries. */
async function sentToInbox(t: TestApp) {
  await makeDue(t.db, "msg-field-trip", {
    modes: ["inbox"],
    content: {
      emailHtml: "",
      emailText: "",
      text: "",
      voice: "",
      inbox: "Dear {{recipient.firstName}},\nthe slip is due <b>Friday</b>.",
    },
  });
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  await settle(t);
  const deliveries: Delivery[] = [];
  for await (const d of deliveriesOf(t.db, run.id, "inbox")) deliveries.push(d.value);
  assert.ok(deliveries.length >= 2, "at least two guardians");
  assert.ok(deliveries.every((d) => d.state === "delivered"));
  return { run, deliveries };
}

/** A family that opened their preferences link: signed in to the portal. */
async function family(t: TestApp, personId: string): Promise<Client> {
  const client = new Client(t.app);
  const res = await client.get(await preferencesPath(t.db, personId));
  assert.equal(res.status, 200);
  assert.match(await res.text(), /href="\/family\/messages"/, "the preferences page links to Messages");
  assert.ok(client.cookies.get("family_session"), "the link signs the family in");
  return client;
}

const messageHref = (d: Delivery) => `/family/messages/${d.runId}/${encodeURIComponent(d.id)}`;

Deno.test("family: the preferences link starts a session in its own cookie: HttpOnly, SameSite=Lax", async () => {
  const t = await testApp();
  const res = await new Client(t.app).get(await preferencesPath(t.db, "gdn1"));
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("family_session="))!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.match(cookie, /Max-Age=2592000/);
  assert.match(cookie, /Path=\//);
  await res.body?.cancel();
  // A bad link starts nothing.
  const bad = await new Client(t.app).get(`/preferences/gdn1/${"A".repeat(43)}`);
  assert.equal(bad.status, 404);
  assert.ok(!bad.headers.getSetCookie().some((c) => c.startsWith("family_session=")));
  t.close();
});

Deno.test("family: Messages lists the inbox, unread marked and counted; a message shows safely and is marked read", async () => {
  const t = await testApp();
  const { run, deliveries } = await sentToInbox(t);
  const d = deliveries[0];
  const c = await family(t, d.personId);
  const list = await (await c.get("/family/messages")).text();
  assert.match(list, /1 unread message/);
  assert.match(list, /Unread/);
  assert.ok(list.includes(`href="${messageHref(d).replaceAll("&", "&amp;")}"`) || list.includes(messageHref(d)));
  assert.match(list, /Contact preferences/, "Messages links to Preferences");
  const res = await c.get(messageHref(d));
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(
    html,
    /class="content family-body">Dear \w+,\nthe slip is due &lt;b>Friday&lt;\/b>\./,
    "escaped, lines kept",
  );
  assert.match(html, /Lincoln/, "the school");
  assert.match(html, /CST/, "the date in the district's zone");
  const attachment = html.match(/href="([^"]+\/attachments\/[^"]+)"/)![1];
  const file = await c.get(attachment.replaceAll("&amp;", "&"));
  assert.equal(file.status, 200);
  assert.match(await file.text(), /^%PDF-1\.1/);
  const read = (await Array.fromAsync(deliveriesOf(t.db, run.id, "inbox"))).find((x) => x.value.id === d.id)!;
  assert.equal(read.value.readAt, NOW);
  assert.equal(read.value.state, "delivered", "read never moves a delivery");
  assert.equal(await runReadCount(t.db, run.id), 1);
  assert.match(await (await c.get("/family/messages")).text(), /0 unread messages/);
  // A second open changes nothing.
  t.clock.at = NOW + 60_000;
  await (await c.get(messageHref(d))).body?.cancel();
  assert.equal(await runReadCount(t.db, run.id), 1);
  assert.equal((await listInbox(t.db, d.personId)).find((i) => i.deliveryId === d.id)!.entry.readAt, NOW);
  t.close();
});

Deno.test("family: the staff side shows Read on the Recipient Report, its CSV, View Details and the Sent Message Log", async () => {
  const t = await testApp();
  const { run, deliveries } = await sentToInbox(t);
  const c = await family(t, deliveries[0].personId);
  await (await c.get(messageHref(deliveries[0]))).body?.cancel();
  const office = await signedIn(t, "office");
  const report = words(await (await office.get(`/runs/${run.id}/recipients?mode=inbox`)).text());
  assert.match(report, /delivered · Read Thu, Nov 26, 2026/);
  assert.match(report, /delivered · Not read/);
  const csv = await (await office.get(`/runs/${run.id}/recipients.csv`)).text();
  const [header, ...rows] = csv.trim().split("\r\n");
  assert.ok(header.endsWith(",last_update_utc,read_at_utc,opened_at_utc,clicked_at_utc,call_result,language"));
  assert.equal(rows.filter((r) => r.endsWith(",2026-11-26T16:00:00.000Z,,,,en")).length >= 1, true);
  assert.equal(rows.filter((r) => r.endsWith(",,,,,en")).length, deliveries.length - 1);
  const details = words(await (await office.get(`/runs/${run.id}`)).text());
  assert.match(details, new RegExp(`Inbox: ${deliveries.length} delivered, 1 read`));
  const sent = words(await (await office.get("/sent?scope=all")).text());
  assert.match(sent, new RegExp(`Inbox: ${deliveries.length} delivered, 1 read`));
  t.close();
});

Deno.test("family: another family's message, a guessed id and a bad id are the same 404; attachments likewise", async () => {
  const t = await testApp();
  const { run, deliveries } = await sentToInbox(t);
  const [mine, theirs] = deliveries;
  const c = await family(t, mine.personId);
  const other = await c.get(messageHref(theirs));
  assert.equal(other.status, 404);
  const page = await other.text();
  assert.match(page, /There is no such message in your inbox/);
  assert.match(page, /Back to Messages/);
  for (
    const path of [
      `/family/messages/${run.id}/guess`,
      `/family/messages/nope/${encodeURIComponent(mine.id)}`,
      `/family/messages/${"x".repeat(65)}/${encodeURIComponent(mine.id)}`,
    ]
  ) {
    const r = await c.get(path);
    assert.equal(r.status, 404, path);
    assert.equal(await r.text(), page, `${path}: the same page`);
  }
  assert.equal((await c.get(`${messageHref(theirs)}/attachments/att-msg-field-trip`)).status, 404);
  assert.equal((await c.get(`${messageHref(mine)}/attachments/att-other`)).status, 404);
  assert.equal((await c.get(`${messageHref(mine)}/attachments/att-msg-field-trip`)).status, 200);
  assert.equal(await runReadCount(t.db, run.id), 0, "nothing was marked read");
  t.close();
});

Deno.test("family: no, a bad, an expired or a removed person's session opens no family page", async () => {
  const t = await testApp();
  const { deliveries } = await sentToInbox(t);
  const d = deliveries[0];
  const none = await new Client(t.app).get("/family/messages");
  assert.equal(none.status, 401);
  assert.match(await none.text(), /href="\/family\/signin"/, "the page offers sign-in");
  const bad = new Client(t.app);
  bad.cookies.set("family_session", "forged");
  assert.equal((await bad.get("/family/messages")).status, 401);
  assert.equal((await bad.get(messageHref(d))).status, 401);
  const c = await family(t, d.personId);
  assert.equal((await c.get("/family/messages")).status, 200);
  t.clock.at = NOW + 60_000;
  const recent = await c.get("/family/messages");
  assert.equal(recent.status, 200);
  assert.ok(!recent.headers.getSetCookie().some((s) => s.startsWith("family_session=")), "not renewed within a day");
  t.clock.at = NOW + FAMILY_IDLE_MS - 1000;
  const renewed = await c.get("/family/messages");
  assert.equal(renewed.status, 200, "still within 30 days");
  assert.ok(
    renewed.headers.getSetCookie().some((s) => /^family_session=.*Max-Age=2592000/.test(s)),
    "the visit renews the session, and the cookie with it",
  );
  t.clock.at = NOW + FAMILY_IDLE_MS + 1000;
  assert.equal((await c.get("/family/messages")).status, 200, "30 days from the last visit, not from the link");
  t.clock.at += FAMILY_IDLE_MS + 1000;
  assert.equal((await c.get("/family/messages")).status, 401, "30 days idle");
  const again = await family(t, d.personId);
  const person = (await getPerson(t.db, d.personId))!;
  await savePerson(t.db, person, { ...person.value, removedAt: new Date(NOW).toISOString() });
  assert.equal((await again.get("/family/messages")).status, 401, "removed from the roster");
  t.close();
});

Deno.test("family: staff and family cookies never open each other's pages", async () => {
  const t = await testApp();
  const { deliveries } = await sentToInbox(t);
  const office = await signedIn(t, "office");
  assert.equal((await office.get("/family/messages")).status, 401, "a staff user is not a family");
  assert.equal((await office.get(messageHref(deliveries[0]))).status, 401);
  const c = await family(t, deliveries[0].personId);
  for (const path of ["/messages", "/sent", `/runs/${deliveries[0].runId}`, "/admin/users"]) {
    const res = await c.get(path);
    assert.equal(res.status, 303, path);
    assert.match(res.headers.get("Location")!, /^\/signin/);
  }
  assert.equal((await c.post("/signout", {})).status, 303);
  assert.equal((await c.get("/family/messages")).status, 200, "staff sign-out leaves the family session alone");
  t.close();
});

Deno.test("family: Sign out needs the CSRF token, ends the session and clears the cookie", async () => {
  const t = await testApp();
  const { deliveries } = await sentToInbox(t);
  const c = await family(t, deliveries[0].personId);
  const list = await (await c.get("/family/messages")).text();
  assert.match(list, /action="\/family\/signout"/);
  assert.match(list, new RegExp(`name="_csrf" value="${c.csrf}"`));
  assert.equal((await c.post("/family/signout", {}, "wrong")).status, 403);
  assert.equal((await c.get("/family/messages")).status, 200, "a refused sign-out changes nothing");
  const token = c.cookies.get("family_session")!;
  const out = await c.post("/family/signout", {});
  assert.equal(out.status, 200);
  assert.match(await out.text(), /You are signed out/);
  assert.equal(c.cookies.get("family_session"), undefined);
  const replay = new Client(t.app);
  replay.cookies.set("family_session", token);
  assert.equal((await replay.get("/family/messages")).status, 401, "the old token no longer works");
  t.close();
});

Deno.test("family: a guardian of two students filters Messages by student; a dispatched message carries its students", async () => {
  const t = await testApp();
  const { deliveries } = await sentToInbox(t);
  const mine = (await listInbox(t.db, deliveries[0].personId)).find((i) => i.deliveryId === deliveries[0].id)!;
  assert.deepEqual(mine.entry.studentIds, deliveries[0].studentIds, "Sending records the students of the copy");
  // Fatima Yamamoto has two students, stu74 and stu269.
  const at = NOW - 60_000;
  await addToInbox(t.db, { personId: "gdn101", runId: "r-one", id: "a" }, {
    subject: "About one",
    body: "",
    at,
    studentIds: ["stu74"],
  });
  await addToInbox(t.db, { personId: "gdn101", runId: "r-two", id: "b" }, {
    subject: "About two",
    body: "",
    at,
    studentIds: ["stu269"],
  });
  const c = await family(t, "gdn101");
  const all = words(await (await c.get("/family/messages")).text());
  assert.match(all, /About one/);
  assert.match(all, /About two/);
  assert.match(all, /All students/, "two students: the filter is offered");
  const one = await c.get("/family/messages?student=stu74");
  assert.equal(one.status, 200);
  const oneHtml = await one.text();
  assert.match(words(oneHtml), /About one/);
  assert.doesNotMatch(words(oneHtml), /About two/);
  assert.match(oneHtml.match(/<option[^>]*value="stu74"[^>]*>/)![0], /selected/, "the choice is kept");
  assert.match(words(oneHtml), /2 unread messages/, "the unread count is the whole inbox's");
  // Another family's student is refused by name, the choice kept, the whole inbox shown.
  const other = await c.get("/family/messages?student=stu1");
  assert.equal(other.status, 400);
  const otherHtml = words(await other.text());
  assert.match(otherHtml, /Student is not one of your students\./);
  assert.match(otherHtml, /About two/);
  const badPage = await c.get("/family/messages?page=two");
  assert.equal(badPage.status, 400);
  assert.match(words(await badPage.text()), /Page must be a whole number from 1\./);
  // One student only: no filter to choose from.
  const single = await family(t, deliveries[0].personId);
  const person = (await getPerson(t.db, deliveries[0].personId))!.value;
  if (person.studentIds.length === 1) {
    assert.doesNotMatch(await (await single.get("/family/messages")).text(), /All students/);
  }
  t.close();
});

Deno.test("family: a long inbox is paged, newest first, emergencies pinned on the first page only", async () => {
  const t = await testApp();
  const total = INBOX_PAGE_SIZE + 5;
  for (let i = 0; i < total; i++) {
    await addToInbox(t.db, { personId: "gdn1", runId: `r${String(i).padStart(3, "0")}`, id: "x" }, {
      subject: `Notice ${i}`,
      body: "",
      at: NOW - (i + 1) * 60_000,
    });
  }
  await addToInbox(t.db, { personId: "gdn1", runId: "r-alarm", id: "x" }, {
    subject: "Lockdown",
    body: "",
    at: NOW - 3_600_000 * 2,
    type: "emergency",
  });
  const c = await family(t, "gdn1");
  const first = words(await (await c.get("/family/messages")).text());
  assert.match(first, /Lockdown/);
  assert.match(first, /Notice 0(?!\d)/);
  assert.match(first, new RegExp(`Notice ${INBOX_PAGE_SIZE - 1}(?!\\d)`));
  assert.doesNotMatch(first, new RegExp(`Notice ${INBOX_PAGE_SIZE}(?!\\d)`));
  assert.match(first, /Page 1 of 2/);
  assert.match(first, /Older messages/);
  const second = words(await (await c.get("/family/messages?page=2")).text());
  assert.match(second, new RegExp(`Notice ${INBOX_PAGE_SIZE}(?!\\d)`));
  assert.match(second, new RegExp(`Notice ${total - 1}(?!\\d)`));
  assert.doesNotMatch(second, /Lockdown/);
  assert.doesNotMatch(second, /Notice 0(?!\d)/);
  assert.match(second, /Newer messages/);
  // Past the last page: the last page.
  assert.match(words(await (await c.get("/family/messages?page=9")).text()), /Page 2 of 2/);
  t.close();
});

Deno.test("family view: View Details links to the message as a family sees it in the portal; opening it marks nothing read", async () => {
  const t = await testApp();
  const { run, deliveries } = await sentToInbox(t);
  const office = await signedIn(t, "office");
  const details = await (await office.get(`/runs/${run.id}`)).text();
  assert.match(details, new RegExp(`href="/runs/${run.id}/family-view"`));
  const res = await office.get(`/runs/${run.id}/family-view`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(words(html), /Preview: this is how .+ sees the message in the family portal/);
  assert.match(html, /class="content family-body">Dear \w+,/, "merge fields as the family got them");
  assert.match(html, /href="\/messages\/msg-field-trip\/attachments\/[^"]+"/, "the staff download");
  assert.doesNotMatch(html, /action="\/family\/signout"/, "no family navigation");
  assert.equal(await runReadCount(t.db, run.id), 0, "a preview is no read");
  assert.equal((await listInbox(t.db, deliveries[0].personId))[0].entry.readAt, undefined);
  // The family's own cookie is no staff session: the preview is staff's only.
  const fam = await family(t, deliveries[0].personId);
  assert.equal((await fam.get(`/runs/${run.id}/family-view`)).status, 303);
  t.close();
});

Deno.test("family view: a scheduled message previews for its first recipient; no inbox or no right is a 404", async () => {
  const t = await testApp();
  const comms = await signedIn(t, "comms");
  const details = await (await comms.get("/messages/msg-concert")).text();
  assert.match(details, /href="\/messages\/msg-concert\/family-view"/);
  const res = await comms.get("/messages/msg-concert/family-view");
  assert.equal(res.status, 200);
  const html = words(await res.text());
  assert.match(html, /Preview: this is how \w+ \w+ sees the message in the family portal/);
  assert.match(html, /Winter concert tickets/);
  assert.match(html, /Roosevelt/);
  // The field trip goes by email and text only.
  const noInbox = await comms.get("/messages/msg-field-trip/family-view");
  assert.equal(noInbox.status, 404);
  assert.match(await noInbox.text(), /does not reach anyone&#39;s inbox|does not reach anyone's inbox/);
  // Office works for Lincoln only: Roosevelt's concert is not theirs to see.
  const office = await signedIn(t, "office");
  assert.equal((await office.get("/messages/msg-concert/family-view")).status, 404);
  t.close();
});
