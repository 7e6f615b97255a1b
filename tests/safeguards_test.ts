/**
 * Send safeguards (issue 16): Send a test to me, and a large send's typed
 * count, through the wizard's own posts.
 */
import assert from "node:assert/strict";
import { type Client, NOW, signedIn, type TestApp, testApp } from "./support/app.ts";
import { outboxProviders } from "../services/providers/outbox.ts";
import { ProviderError } from "../services/providers/types.ts";
import { sampleRecipient } from "../services/recipients.ts";
import { getCalendar, getDistrict, saveDistrict } from "../services/store/district.ts";
import { getMessage, listAudit } from "../services/store/messages.ts";
import { listOutbox, type OutboxEntry } from "../services/store/outbox.ts";
import { listPeopleInSchool } from "../services/store/people.ts";
import { getUserByLogin, updateUser } from "../services/store/users.ts";
import type { Person } from "../services/model.ts";
import { dueJobIds } from "../services/store/jobs.ts";

const words = (html: string) => html.replaceAll(/<[^>]+>/g, " ").replaceAll(/\s+/g, " ");

const recipients = { calendarId: "lincoln-2026", types: "guardians", grades: "3", oneCopyPerGuardian: "on" };
const content = {
  subject: "Science fair for {{student.firstName}}",
  emailHtml: "<p>Dear {{recipient.firstName}}, {{student.firstName}} is in the fair.</p>",
  emailText: "",
  text: "Science fair Friday for {{student.firstName}}",
  voice: "The science fair is on Friday.",
  inbox: "Science fair on Friday.",
};
const later = {
  type: "general",
  modes: ["email", "text", "voice"],
  when: "later",
  date: "2026-12-01",
  time: "07:00",
  repeat: "none",
};

async function startDraft(c: Client): Promise<string> {
  const res = await c.post("/messages/new", {});
  assert.equal(res.status, 303);
  return res.headers.get("Location")!.split("/")[2];
}

function post(c: Client, draft: string, step: string, fields: Record<string, string | string[]>, go: string) {
  return c.post(`/compose/${draft}/${step}`, { ...fields, go });
}

/** A draft with recipients and content filled in, standing on Send Options. */
async function draftAtSendOptions(c: Client, choose: Record<string, string> = recipients): Promise<string> {
  const draft = await startDraft(c);
  assert.equal((await post(c, draft, "recipients", choose, "content")).status, 303);
  assert.equal((await post(c, draft, "content", content, "send")).status, 303);
  return draft;
}

async function outbox(t: TestApp): Promise<OutboxEntry[]> {
  return (await listOutbox(t.db)).items;
}

async function countKeys(t: TestApp, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of t.db.kv.list({ prefix: ["demo", prefix] })) n++;
  return n;
}

/** Links `login` to a Lincoln staff member on the roster (as /admin/users does) and returns that person. */
async function linkToStaff(t: TestApp, login: string): Promise<Person> {
  const staff = (await listPeopleInSchool(t.db, "lincoln", "staff"))
    .find((p) => p.devices.some((d) => d.kind === "email") && p.devices.some((d) => d.kind === "phone"))!;
  const user = (await getUserByLogin(t.db, login))!;
  await updateUser(t.db, user, { ...user.value, personId: staff.id });
  return staff;
}

Deno.test("Send a test to me: one copy per mode to the roster's email and phone, [Test], a real recipient's merge fields, no run, audited", async () => {
  const t = await testApp();
  const staff = await linkToStaff(t, "office");
  const email = staff.devices.find((d) => d.kind === "email")!.address;
  const phone = staff.devices.find((d) => d.kind === "phone")!.address;
  const c = await signedIn(t, "office");
  const draft = await draftAtSendOptions(c);
  const sample = (await sampleRecipient(
    t.db,
    { recipients: { types: ["guardians"], grades: ["3"], personIds: [], oneCopyPerGuardian: true } },
    (await getCalendar(t.db, "lincoln-2026"))!,
    (await getDistrict(t.db))!,
  ))!;
  const guardian = sample.merge.recipient.firstName;
  const student = sample.merge.students[0].firstName;
  const before = { runs: await countKeys(t, "run"), jobs: (await dueJobIds(t.db, Number.MAX_SAFE_INTEGER)).length };

  // The step shows the roster's addresses before any test.
  const shown = await (await c.get(`/compose/${draft}/send`)).text();
  assert.match(shown, new RegExp(`name="testEmail"[^>]*value="${email}"`));
  assert.match(shown, new RegExp(`name="testPhone"[^>]*value="\\${phone}"`));

  // Posted as the form stands, without the address fields: the roster's record decides.
  const res = await post(c, draft, "send", later, "test");
  assert.equal(res.status, 200);
  const html = words(await res.text());
  assert.match(html, /Test sent at 10:00 AM\. Filled in for \w+ \w+\./);
  assert.match(html, new RegExp(`Email to ${email}: sent`));
  assert.match(html, /Text to \+1\d{10}: sent/);

  const sent = await outbox(t);
  assert.equal(sent.length, 3, JSON.stringify(sent));
  const mail = sent.find((e) => e.kind === "email")!;
  assert.equal(mail.to, email);
  assert.equal(mail.subject, `[Test] Science fair for ${student}`);
  assert.match(mail.body, /^\[Test\] Filled in as \w+ \w+ would get it\. Only you received this copy\./);
  assert.match(mail.body, new RegExp(`Dear ${guardian}, ${student} is in the fair\\.`));
  const text = sent.find((e) => e.kind === "text")!;
  assert.equal(text.to, phone);
  assert.equal(text.body, `[Test] Science fair Friday for ${student}`);
  const call = sent.find((e) => e.kind === "voice")!;
  assert.equal(call.to, phone);
  assert.equal(call.body, "[Test] The science fair is on Friday.");

  // It is no run: nothing to dispatch, nothing saved as a message; the draft is kept.
  assert.equal(await countKeys(t, "run"), before.runs);
  assert.equal((await dueJobIds(t.db, Number.MAX_SAFE_INTEGER)).length, before.jobs);
  const messageId = (await t.db.kv.get<{ messageId: string }>(["demo", "draft", draft])).value!.messageId;
  assert.equal(await getMessage(t.db, messageId), null);
  assert.equal((await c.get(`/compose/${draft}/send`)).status, 200);

  // Audited under the message, addresses masked; View Details' History shows it once the message is sent.
  const [entry] = await listAudit(t.db, messageId);
  assert.equal(entry.name, "Marcus Lee");
  assert.equal(entry.at, NOW);
  assert.match(
    entry.action,
    /^sent a test \(Email to \w\*\*\*@[\w.]+; Text to \*\*\*-\*\*\*-\d{4}; Voice/,
  );
  assert.ok(!entry.action.includes(email) && !entry.action.includes(phone.slice(-7)), "addresses are masked");
  assert.equal((await post(c, draft, "send", later, "commit")).status, 303);
  const details = words(await (await c.get(`/messages/${messageId}`)).text());
  assert.match(details, /sent a test \(Email to \w\*\*\*@/);
  t.close();
});

Deno.test("Send a test to me from Content: typed addresses, Inbox noted and not sent, a mode without content skipped", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await draftAtSendOptions(c);
  await post(c, draft, "send", { ...later, modes: ["inbox", "email", "text"] }, "content");
  const res = await post(
    c,
    draft,
    "content",
    { ...content, text: "", testEmail: " me@lincoln.example ", testPhone: "(612) 555-0199" },
    "test",
  );
  assert.equal(res.status, 200);
  const raw = await res.text();
  const html = words(raw);
  assert.match(html, /Email to me@lincoln\.example: sent/);
  assert.match(html, /Inbox: not tested, it is read in the family portal/);
  assert.match(html, /Text: not tested, there is no text message yet/);
  assert.match(raw, /value="me@lincoln\.example"/, "the address stays in its field");
  const sent = await outbox(t);
  assert.deepEqual(sent.map((e) => [e.kind, e.to]), [["email", "me@lincoln.example"]]);
  // The content typed with the test is kept in the draft.
  assert.match(await (await c.get(`/compose/${draft}/content`)).text(), /name="text"[^>]*>\s*<\/textarea>/);
  t.close();
});

Deno.test("Send a test to me: a bad or missing address is a 400 naming the field; nothing is sent or audited", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await draftAtSendOptions(c);
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ testEmail: "not-an-address", testPhone: "+16125550199" }, "testEmail", /Enter an email address such as/],
    [{ testEmail: "me@lincoln.example", testPhone: "555-01" }, "testPhone", /Enter a phone number such as/],
    [{ testEmail: "me@lincoln.example", testPhone: "call me" }, "testPhone", /Enter a phone number such as/],
    // Not linked to a roster record, and nothing typed.
    [{}, "testEmail", /Enter your email address/],
    [{ testEmail: "", testPhone: "" }, "testPhone", /Enter your phone number/],
  ];
  for (const [typed, name, reason] of cases) {
    const res = await post(c, draft, "send", { ...later, ...typed }, "test");
    assert.equal(res.status, 400, JSON.stringify(typed));
    const html = await res.text();
    assert.match(html, new RegExp(`id="${name}-error">[^<]*`), `${name} named: ${JSON.stringify(typed)}`);
    assert.match(words(html), reason);
    assert.match(html, new RegExp(`id="${name}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="${name}"`));
  }
  assert.equal((await outbox(t)).length, 0);
  const messageId = (await t.db.kv.get<{ messageId: string }>(["demo", "draft", draft])).value!.messageId;
  assert.equal((await listAudit(t.db, messageId)).length, 0);
  assert.equal(await countKeys(t, "test_sends"), 0, "a refused test is not counted against the limit");
  t.close();
});

Deno.test("Send a test to me: ten an hour per user; the eleventh is a 429 saying when; the next hour allows more", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await draftAtSendOptions(c);
  const one = { ...later, modes: "email", testEmail: "me@lincoln.example" };
  for (let i = 0; i < 10; i++) assert.equal((await post(c, draft, "send", one, "test")).status, 200, `test ${i + 1}`);
  const refused = await post(c, draft, "send", one, "test");
  assert.equal(refused.status, 429);
  assert.match(
    words(await refused.text()),
    /You have sent 10 tests in the past hour, the most allowed: you can send the next at 11:00 AM\./,
  );
  assert.equal((await outbox(t)).length, 10);
  // Another user has their own allowance.
  const other = await signedIn(t, "comms");
  const theirs = await draftAtSendOptions(other, { calendarId: "lincoln-2026", types: "guardians", grades: "3" });
  assert.equal((await post(other, theirs, "send", one, "test")).status, 200);
  t.clock.at = NOW + 60 * 60_000;
  assert.equal((await post(c, draft, "send", one, "test")).status, 200);
  assert.equal((await outbox(t)).length, 12);
  t.close();
});

Deno.test("Send a test to me: a provider's refusal is said on the step (502) with its words; what went out is listed", async () => {
  const t = await testApp({
    providers: (db, clock) => {
      const outbox = outboxProviders(db, clock);
      return {
        ...outbox,
        sendText: () =>
          Promise.reject(new ProviderError("The 'To' number is not a valid phone number.", true, "21211")),
      };
    },
  });
  const c = await signedIn(t, "office");
  const draft = await draftAtSendOptions(c);
  const res = await post(
    c,
    draft,
    "send",
    { ...later, modes: ["email", "text"], testEmail: "me@lincoln.example", testPhone: "+16125550199" },
    "test",
  );
  assert.equal(res.status, 502);
  const html = words(await res.text());
  assert.match(html, /Not every test copy went out \(10:00 AM\)\./);
  assert.match(html, /Email to me@lincoln\.example: sent/);
  assert.match(
    html,
    /Text to \+16125550199: refused by the provider \(The 'To' number is not a valid phone number\.\)/,
  );
  const messageId = (await t.db.kv.get<{ messageId: string }>(["demo", "draft", draft])).value!.messageId;
  assert.match((await listAudit(t.db, messageId))[0].action, /Text to \*\*\*-\*\*\*-0199, refused\)$/);
  t.close();
});

/** Sets the district's large-send threshold as an administrator does, on /admin/settings. */
async function setThreshold(t: TestApp, threshold: number): Promise<void> {
  const admin = await signedIn(t, "admin");
  const res = await admin.post("/admin/settings", {
    dialingStart: "07:00",
    dialingEnd: "21:00",
    textStart: "08:00",
    textEnd: "21:00",
    largeSendThreshold: String(threshold),
  });
  assert.equal(res.status, 303);
}

/** The count the confirmation asks for, read from the page. */
function askedCount(html: string): string {
  const m = html.match(/<label for="confirmCount">Type ([\d,]+) to confirm<\/label>/);
  assert.ok(m, "the page asks for the count");
  return m[1];
}

const everyone = { calendarId: "lincoln-2026", types: "guardians", oneCopyPerGuardian: "on" };

Deno.test("a large send: refused without the count and with a wrong one (422, nothing saved); the right count sends", async () => {
  const t = await testApp();
  await setThreshold(t, 20);
  const c = await signedIn(t, "office");
  const draft = await draftAtSendOptions(c, everyone);
  const messageId = (await t.db.kv.get<{ messageId: string }>(["demo", "draft", draft])).value!.messageId;

  const asked = await post(c, draft, "send", { ...later, modes: ["email", "text"] }, "commit");
  assert.equal(asked.status, 422);
  const html = await asked.text();
  const count = askedCount(html);
  assert.ok(Number(count.replaceAll(",", "")) > 20, count);
  assert.match(words(html), new RegExp(`This message goes to ${count} recipients by Email and Text ?\\.`));
  assert.match(words(html), /confirm any send to more than 20 recipients/);
  assert.doesNotMatch(html, /id="confirmCount-error"/, "asking is no error");
  assert.match(html, /name="date"[^>]*value="2026-12-01"|value="2026-12-01"[^>]*name="date"/, "the form is kept");
  assert.equal(await getMessage(t.db, messageId), null);

  const wrong = await post(c, draft, "send", { ...later, confirmCount: "20" }, "commit");
  assert.equal(wrong.status, 422);
  const wrongHtml = await wrong.text();
  assert.match(wrongHtml, new RegExp(`id="confirmCount-error">You typed 20: type ${count}, the number of recipients`));
  assert.match(wrongHtml, /name="confirmCount"[^>]*value="20"|value="20"[^>]*name="confirmCount"/);
  const empty = await post(c, draft, "send", { ...later, confirmCount: "" }, "commit");
  assert.equal(empty.status, 422);
  assert.match(await empty.text(), new RegExp(`id="confirmCount-error">Type ${count}, the number`));
  assert.equal(await getMessage(t.db, messageId), null, "nothing saved");
  assert.equal((await outbox(t)).length, 0, "nothing sent");

  const done = await post(c, draft, "send", { ...later, confirmCount: ` ${count} ` }, "commit");
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("Location"), "/messages?done=scheduled");
  assert.ok(await getMessage(t.db, messageId));
  t.close();
});

Deno.test("a large send: Send Now starts nothing until confirmed; a series asks for its first occurrence; Update asks too", async () => {
  const t = await testApp();
  await setThreshold(t, 20);
  const c = await signedIn(t, "office");
  const runs = await countKeys(t, "run");

  const now = await draftAtSendOptions(c, everyone);
  const asked = await post(c, now, "send", { ...later, when: "now", modes: "email" }, "commit");
  assert.equal(asked.status, 422);
  const count = askedCount(await asked.text());
  assert.equal(await countKeys(t, "run"), runs, "no run before the count is typed");
  const sent = await post(c, now, "send", { ...later, when: "now", modes: "email", confirmCount: count }, "commit");
  assert.equal(sent.status, 303);
  assert.equal(sent.headers.get("Location"), "/messages?tab=in-progress&done=queued");
  assert.ok(await countKeys(t, "run") > runs);

  const weekly = { ...later, repeat: "weekly", weekdays: "TU", ends: "count", count: "4", modes: "email" };
  const series = await draftAtSendOptions(c, everyone);
  const id = (await t.db.kv.get<{ messageId: string }>(["demo", "draft", series])).value!.messageId;
  const seriesAsked = await post(c, series, "send", weekly, "commit");
  assert.equal(seriesAsked.status, 422);
  const seriesHtml = words(await seriesAsked.text());
  assert.match(seriesHtml, new RegExp(`goes to ${count} recipients by Email at its first occurrence`));
  assert.equal((await post(c, series, "send", { ...weekly, confirmCount: count }, "commit")).status, 303);

  // Edit the series: Update asks again, and an unconfirmed Update changes nothing.
  const stored = (await getMessage(t.db, id))!;
  const edit = await c.get(`/messages/${id}/edit`);
  const editing = edit.headers.get("Location")!.split("/")[2];
  const update = { ...weekly, time: "08:00" };
  const refused = await post(c, editing, "send", update, "commit");
  assert.equal(refused.status, 422);
  const refusedHtml = words(await refused.text());
  assert.match(refusedHtml, new RegExp(`Update to ${count} recipients\\?`));
  assert.match(refusedHtml, new RegExp(`Update to ${count} recipients`), "the button says what it does");
  assert.equal((await getMessage(t.db, id))!.versionstamp, stored.versionstamp, "not updated");
  const updated = await post(c, editing, "send", { ...update, confirmCount: count }, "commit");
  assert.equal(updated.status, 303);
  assert.equal(updated.headers.get("Location"), "/messages?done=updated");
  assert.notEqual((await getMessage(t.db, id))!.versionstamp, stored.versionstamp);
  t.close();
});

Deno.test("a large send: the threshold is the district's; a send at or below it is not asked", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  // The default threshold, 1,000: the demo's Lincoln guardians are far fewer.
  const small = await draftAtSendOptions(c, everyone);
  assert.equal((await post(c, small, "send", later, "commit")).status, 303);

  await setThreshold(t, 20);
  const draft = await draftAtSendOptions(c, everyone);
  const count = Number(askedCount(await (await post(c, draft, "send", later, "commit")).text()).replaceAll(",", ""));
  // Exactly at the threshold is not above it.
  const district = (await getDistrict(t.db))!;
  await saveDistrict(t.db, { ...district, largeSendThreshold: count });
  assert.equal((await post(c, draft, "send", later, "commit")).status, 303);
  t.close();
});
