/** Send safeguards (issue 16): a large send's typed count, through the wizard's own posts. */
import assert from "node:assert/strict";
import { type Client, signedIn, type TestApp, testApp } from "./support/app.ts";
import { getDistrict, saveDistrict } from "../services/store/district.ts";
import { getMessage } from "../services/store/messages.ts";
import { listOutbox, type OutboxEntry } from "../services/store/outbox.ts";

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
