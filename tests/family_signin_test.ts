import assert from "node:assert/strict";
import { Client, type TestApp, testApp } from "./support/app.ts";
import { listOutbox, type OutboxEntry } from "../services/store/outbox.ts";
import { getPerson, savePerson } from "../services/store/people.ts";
import { MAX_REQUESTS_PER_ADDRESS, MAX_REQUESTS_PER_CLIENT, SIGN_IN_TTL_MS } from "../services/family_signin.ts";

const KAI_EMAIL = "kai.clark1@mail.example";
const KAI_PHONE = "+16125553170";
const SENT =
  /If that (address|number) is on the school&#39;s records|If that (address|number) is on the school's records/;

/** Everything sent so far, once the sign-ins still going out in the background are sent. */
async function sent(t: TestApp): Promise<OutboxEntry[]> {
  await t.background.settled();
  return (await listOutbox(t.db)).items;
}

/** What `send` put in the outbox (the test clock stands still, so the outbox's order cannot tell). */
async function sentBy(t: TestApp, send: () => Promise<Response>): Promise<{ res: Response; out: OutboxEntry[] }> {
  const before = new Set((await sent(t)).map((e) => e.id));
  const res = await send();
  return { res, out: (await sent(t)).filter((e) => !before.has(e.id)) };
}

/** A browser at the sign-in form (it has its CSRF cookie), from its own client address. */
async function visitor(t: TestApp, client = "203.0.113.1"): Promise<Client> {
  const c = new Client(t.app, { "X-Forwarded-For": client });
  const res = await c.get("/family/signin");
  assert.equal(res.status, 200);
  assert.match(await res.text(), /name="_csrf"/);
  return c;
}

/** Asks for a link by email; the link's path from the outbox. */
async function emailLink(t: TestApp, c: Client, address = KAI_EMAIL): Promise<string> {
  const { res, out: mails } = await sentBy(t, () => c.post("/family/signin", { address }));
  assert.equal(res.status, 200);
  assert.match(await res.text(), SENT);
  assert.equal(mails.length, 1, "one email sent");
  assert.equal(mails[0].kind, "email");
  assert.equal(mails[0].to, address.toLowerCase());
  return mails[0].body.match(/https?:\/\/[^/\s]+(\/family\/signin\/[A-Za-z0-9_-]{43})/)![1];
}

/** Asks for a code by text: the form's request id and the texted code. */
async function textCode(t: TestApp, c: Client, phone = "(612) 555-3170"): Promise<{ request: string; code: string }> {
  const { res, out } = await sentBy(t, () => c.post("/family/signin", { address: phone }));
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, SENT);
  const request = html.match(/name="request" value="([^"]+)"/)![1];
  assert.equal(out.length, 1, "one text sent");
  const [text] = out;
  assert.equal(text.kind, "text");
  assert.equal(text.to, KAI_PHONE);
  return { request, code: text.body.match(/\b(\d{6})\b/)![1] };
}

async function messagesHeading(c: Client): Promise<string> {
  const res = await c.get("/family/messages");
  assert.equal(res.status, 200);
  return (await res.text()).match(/Messages for ([^<]+)/)![1];
}

Deno.test("family sign-in: an emailed link signs in once, behind a button (a mail scanner's GET uses nothing)", async () => {
  const t = await testApp();
  const c = await visitor(t);
  const link = await emailLink(t, c, "Kai.Clark1@Mail.Example");
  const page = await c.get(link);
  assert.equal(page.status, 200);
  assert.match(await page.text(), new RegExp(`action="${link}"`));
  const res = await c.post(link, {});
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("Location"), "/family/messages");
  assert.equal(await messagesHeading(c), "Kai Clark");
  // Reused: the same plain page, in this browser or another.
  const again = await c.post(link, {});
  assert.equal(again.status, 404);
  assert.match(await again.text(), /does not work/);
  assert.equal((await (await visitor(t, "203.0.113.2")).get(link)).status, 404);
  t.close();
});

Deno.test("family sign-in: a texted code signs in once; the number may be typed as people write it", async () => {
  const t = await testApp();
  const c = await visitor(t);
  const { request, code } = await textCode(t, c);
  const res = await c.post("/family/signin/code", { request, code });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("Location"), "/family/messages");
  assert.equal(await messagesHeading(c), "Kai Clark");
  const reused = await (await visitor(t, "203.0.113.2")).post("/family/signin/code", { request, code });
  assert.equal(reused.status, 400);
  assert.match(await reused.text(), /That code does not work/);
  t.close();
});

Deno.test("family sign-in: links and codes expire after 15 minutes", async () => {
  const t = await testApp();
  const c = await visitor(t);
  const link = await emailLink(t, c);
  const { request, code } = await textCode(t, c);
  t.clock.at += SIGN_IN_TTL_MS;
  assert.equal((await c.get(link)).status, 404);
  assert.equal((await c.post(link, {})).status, 404);
  assert.equal((await c.post("/family/signin/code", { request, code })).status, 400);
  assert.ok(!c.cookies.has("family_session"));
  t.close();
});

Deno.test("family sign-in: 5 wrong codes end the request; the right one then fails too", async () => {
  const t = await testApp();
  const c = await visitor(t);
  const { request, code } = await textCode(t, c);
  const wrong = code === "000000" ? "111111" : "000000";
  for (let i = 0; i < 5; i++) {
    const res = await c.post("/family/signin/code", { request, code: wrong });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /That code does not work/);
    assert.match(html, new RegExp(`name="code" value="${wrong}"`), "the form comes back filled in");
  }
  assert.equal((await c.post("/family/signin/code", { request, code })).status, 400);
  assert.ok(!c.cookies.has("family_session"));
  t.close();
});

Deno.test("family sign-in: an unknown address gets the same page and nothing is sent; a bad one is told why", async () => {
  const t = await testApp();
  const c = await visitor(t);
  const known = await (await c.post("/family/signin", { address: KAI_EMAIL })).text();
  const before = (await sent(t)).length;
  const unknown = await c.post("/family/signin", { address: "nobody@mail.example" });
  assert.equal(unknown.status, 200);
  assert.equal(await unknown.text(), known, "the very same page");
  const codeForm = (html: string) => html.replace(/name="request" value="[^"]+"/, "");
  const knownPhone = await (await c.post("/family/signin", { address: KAI_PHONE })).text();
  const unknownPhone = await (await c.post("/family/signin", { address: "+16125550000" })).text();
  assert.equal(codeForm(unknownPhone), codeForm(knownPhone));
  assert.equal((await sent(t)).length, before + 1, "only the known phone got a text");
  // A code for the unknown number fails like a wrong one.
  const request = unknownPhone.match(/name="request" value="([^"]+)"/)![1];
  const res = await c.post("/family/signin/code", { request, code: "123456" });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /That code does not work/);
  const bad = await c.post("/family/signin", { address: "not an address" });
  assert.equal(bad.status, 400);
  const html = await bad.text();
  assert.match(html, /Enter an email address/);
  assert.match(html, /value="not an address"/);
  t.close();
});

Deno.test("family sign-in: requests are limited per address and per client, with the same answer", async () => {
  const t = await testApp();
  for (let i = 0; i < MAX_REQUESTS_PER_ADDRESS; i++) await emailLink(t, await visitor(t, `198.51.100.${i}`));
  const before = (await sent(t)).length;
  const over = await (await visitor(t, "198.51.100.99")).post("/family/signin", { address: KAI_EMAIL });
  assert.equal(over.status, 200);
  assert.match(await over.text(), SENT);
  assert.equal((await sent(t)).length, before, "the sixth request in the hour sends nothing");
  // One client trying many addresses.
  const c = await visitor(t, "192.0.2.7");
  for (let i = 0; i < MAX_REQUESTS_PER_CLIENT; i++) {
    await (await c.post("/family/signin", { address: `guess${i}@mail.example` })).body?.cancel();
  }
  const gdn2 = "noah.clark2@mail.example";
  assert.match(await (await c.post("/family/signin", { address: gdn2 })).text(), SENT);
  assert.equal((await sent(t)).length, before, "the client is over its limit");
  await emailLink(t, await visitor(t, "192.0.2.8"), gdn2);
  // An hour on, the address may ask again.
  t.clock.at += 60 * 60 * 1000;
  await emailLink(t, await visitor(t, "198.51.100.100"));
  t.close();
});

Deno.test("family sign-in: guardians sharing a phone choose who signs in, once", async () => {
  const t = await testApp();
  const noah = (await getPerson(t.db, "gdn2"))!;
  await savePerson(t.db, noah, {
    ...noah.value,
    devices: noah.value.devices.map((d) => d.id === "mobile" ? { ...d, address: KAI_PHONE } : d),
  });
  const c = await visitor(t);
  const { request, code } = await textCode(t, c);
  const res = await c.post("/family/signin/code", { request, code });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /Who is signing in\?/);
  assert.match(html, /Kai Clark/);
  assert.match(html, /Noah Clark/);
  assert.doesNotMatch(html, /mail\.example|\+1612/, "names only");
  assert.ok(!c.cookies.has("family_session"), "nobody is signed in yet");
  const choice = html.match(/name="choice" value="([^"]+)"/)![1];
  const chosen = await c.post("/family/signin/choose", { choice, personId: "gdn2" });
  assert.equal(chosen.status, 303);
  assert.equal(await messagesHeading(c), "Noah Clark");
  assert.equal(
    (await c.post("/family/signin/choose", { choice, personId: "gdn1" })).status,
    404,
    "the choice works once",
  );
  // A choice names only the guardians on that number.
  const other = await visitor(t, "203.0.113.9");
  const second = await textCode(t, other);
  const page = await (await other.post("/family/signin/code", second)).text();
  const token = page.match(/name="choice" value="([^"]+)"/)![1];
  assert.equal((await other.post("/family/signin/choose", { choice: token, personId: "gdn3" })).status, 404);
  assert.ok(!other.cookies.has("family_session"));
  t.close();
});

Deno.test("family sign-in: every form needs the CSRF token", async () => {
  const t = await testApp();
  const c = await visitor(t);
  const before = (await sent(t)).length;
  assert.equal((await c.post("/family/signin", { address: KAI_EMAIL }, "")).status, 403);
  assert.equal((await sent(t)).length, before, "nothing sent");
  const link = await emailLink(t, c);
  assert.equal((await c.post(link, {}, "wrong")).status, 403);
  const { request, code } = await textCode(t, c);
  assert.equal((await c.post("/family/signin/code", { request, code }, "")).status, 403);
  assert.ok(!c.cookies.has("family_session"));
  // The token was not used up by the refused posts.
  assert.equal((await c.post(link, {})).status, 303);
  t.close();
});

Deno.test("family sign-in: a family page without a session offers sign-in", async () => {
  const t = await testApp();
  const res = await new Client(t.app).get("/family/messages");
  assert.equal(res.status, 401);
  assert.match(await res.text(), /href="\/family\/signin"/);
  t.close();
});
