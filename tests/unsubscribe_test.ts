/**
 * Email unsubscribe end to end: the link and headers General emails carry
 * through a real SMTP server (Priority and Emergency carry none), the
 * one-click endpoint (no sign-in, no CSRF token, GET changes nothing,
 * idempotent, a bad link changes nothing), the family's preferences showing
 * it, and the next runs honouring it.
 */
import assert from "node:assert/strict";
import type { ParsedMail } from "mailparser";
import { Client, makeDue, NOW, settle, type TestApp, testApp } from "./support/app.ts";
import { startSink } from "./support/smtp_sink.ts";
import { buildProviders } from "../services/providers/index.ts";
import type { Providers } from "../services/providers/types.ts";
import type { MessageType } from "../services/model.ts";
import { escapeHtml } from "../services/merge.ts";
import { preferencesPath } from "../services/preferences.ts";
import { deliveriesOf, type Delivery } from "../services/store/deliveries.ts";
import { getDistrict } from "../services/store/district.ts";
import { getPerson, savePerson } from "../services/store/people.ts";
import { getRun } from "../services/store/runs.ts";
import { getSecret } from "../services/store/secrets.ts";
import { unsubscribePath, unsubscribeSecret } from "../services/unsubscribe.ts";

const PUBLIC_URL = "https://messenger.example.org";

/** The demo app sending email to a real SMTP server on loopback, its links under PUBLIC_URL. */
async function smtpApp() {
  const sink = await startSink();
  let providers: Providers | undefined;
  const t = await testApp({
    providers: (db, clock) =>
      providers = buildProviders(db, clock, { smtp: { url: sink.url, from: "Lincoln <office@lincoln.example>" } }),
    publicUrl: PUBLIC_URL,
  });
  return {
    t,
    sink,
    close: async () => {
      await providers!.close();
      await sink.close();
      t.close();
    },
  };
}

/** The field trip (every Lincoln guardian) by email as `type`, run to the end: its email deliveries. */
async function fieldTripRun(t: TestApp, type: MessageType, at = NOW) {
  t.clock.at = at;
  await makeDue(t.db, "msg-field-trip", {
    type,
    modes: ["email"],
    recipients: { types: ["guardians"], grades: [], personIds: [], oneCopyPerGuardian: true },
  }, at);
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", at))!;
  await settle(t);
  const deliveries = (await Array.fromAsync(deliveriesOf(t.db, run.id, "email"))).map((d) => d.value);
  return { run: (await getRun(t.db, run.id))!.value, deliveries };
}

const toOf = (m: ParsedMail) => (m.to && !Array.isArray(m.to) ? m.to.value[0].address! : "").toLowerCase();
const listHeaders = (m: ParsedMail) => m.headers.get("list") as Record<string, { url?: string; name?: string }>;

/** The link a delivery's email must carry. */
async function linkOf(t: TestApp, d: Delivery): Promise<string> {
  const secret = (await getSecret(t.db, "unsubscribe")) as Uint8Array;
  return PUBLIC_URL + unsubscribePath(secret, { personId: d.personId, deviceId: d.deviceId!, address: d.address! });
}

/** What a mail provider sends for a one-click unsubscribe (RFC 8058): no cookie, no token. */
function oneClick(t: TestApp, path: string, multipart = false): Promise<Response> {
  if (multipart) {
    const form = new FormData();
    form.set("List-Unsubscribe", "One-Click");
    return Promise.resolve(t.app.request(path, { method: "POST", body: form }));
  }
  return Promise.resolve(t.app.request(path, {
    method: "POST",
    body: "List-Unsubscribe=One-Click",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  }));
}

Deno.test("through a real SMTP server: General emails carry their own List-Unsubscribe, List-Unsubscribe-Post and footer link; Priority and Emergency none", async () => {
  const { t, sink, close } = await smtpApp();
  const district = (await getDistrict(t.db))!.name;
  const words = `Unsubscribe from general messages from ${district}`;

  const general = await fieldTripRun(t, "general");
  assert.ok(general.deliveries.length > 5);
  assert.equal(sink.messages.length, general.deliveries.length);
  for (const m of sink.messages) {
    const d = general.deliveries.find((d) => d.address!.toLowerCase() === toOf(m))!;
    const url = await linkOf(t, d);
    assert.ok(url.startsWith(`${PUBLIC_URL}/unsubscribe/${encodeURIComponent(d.personId)}/${d.deviceId}/`), url);
    assert.deepEqual(listHeaders(m), {
      unsubscribe: { url },
      "unsubscribe-post": { name: "List-Unsubscribe=One-Click" },
    }, toOf(m));
    assert.ok(m.text!.includes(`${words}: ${url}`), m.text);
    assert.ok((m.html as string).includes(`<a href="${url}">${escapeHtml(words)}</a>`), m.html as string);
  }
  assert.equal(new Set(sink.messages.map((m) => listHeaders(m).unsubscribe.url)).size, sink.messages.length);

  for (const [n, type] of (["priority", "emergency"] as const).entries()) {
    const before = sink.messages.length;
    const run = await fieldTripRun(t, type, NOW + (n + 1) * 3_600_000);
    const received = sink.messages.slice(before);
    assert.equal(received.length, run.deliveries.length, `${type}: every one arrives`);
    assert.ok(received.length > 5);
    for (const m of received) {
      assert.equal(m.headers.get("list"), undefined, `${type}: no List-Unsubscribe`);
      assert.doesNotMatch(`${m.text}${m.html}`, /unsubscribe/i, `${type}: no unsubscribe link`);
    }
  }
  await close();
});

Deno.test("one-click from the email's header: General email off for that address only; the next General run skips it, an Emergency still reaches it", async () => {
  const { t, sink, close } = await smtpApp();
  const first = await fieldTripRun(t, "general");
  const chosen = first.deliveries.find((d) => d.personId === "gdn1")!;
  const address = chosen.address!.toLowerCase();
  const url = listHeaders(sink.messages.find((m) => toOf(m) === address)!).unsubscribe.url!;
  const res = await oneClick(t, new URL(url).pathname);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /You are unsubscribed/);

  const person = (await getPerson(t.db, "gdn1"))!.value;
  const email = person.devices.find((d) => d.kind === "email")!;
  assert.deepEqual([email.general, email.priority, email.emergency], [false, true, true]);
  assert.equal(person.devices.find((d) => d.kind === "phone")!.general, true, "their phone keeps General");
  const other = first.deliveries.find((d) => d.personId !== "gdn1")!;
  const stillOn = (await getPerson(t.db, other.personId))!.value.devices.find((d) => d.id === other.deviceId)!;
  assert.equal(stillOn.general, true, "nobody else's email changes");

  const before = sink.messages.length;
  const second = await fieldTripRun(t, "general", NOW + 3_600_000);
  const received = sink.messages.slice(before).map(toOf);
  assert.ok(!received.includes(address), "the next General run skips the address");
  assert.equal(received.length, first.deliveries.length - 1, "everyone else still gets it");
  assert.ok(second.deliveries.every((d) => d.address!.toLowerCase() !== address));
  assert.equal(second.run.excluded!.email!.optedOut, first.run.excluded!.email!.optedOut + 1, "counted opted out");

  const emergencyFrom = sink.messages.length;
  await fieldTripRun(t, "emergency", NOW + 7_200_000);
  assert.ok(sink.messages.slice(emergencyFrom).map(toOf).includes(address), "an Emergency still reaches it");
  await close();
});

Deno.test("/unsubscribe: GET asks and changes nothing; POST (one-click or the button) unsubscribes, again and again the same; no sign-in", async () => {
  const t = await testApp();
  const secret = await unsubscribeSecret(t.db);
  const kai = (await getPerson(t.db, "gdn1"))!;
  const email = kai.value.devices.find((d) => d.kind === "email")!;
  assert.equal(email.general, true);
  // Noah shares Kai's address (in another case): the address is unsubscribed, so both are.
  const noah = (await getPerson(t.db, "gdn2"))!;
  await savePerson(t.db, noah, {
    ...noah.value,
    devices: noah.value.devices.map((d) => d.kind === "email" ? { ...d, address: "Kai.Clark1@Mail.example" } : d),
  });
  const path = unsubscribePath(secret, { personId: "gdn1", deviceId: email.id, address: email.address });

  const visitor = new Client(t.app);
  const page = await visitor.get(path);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("Cache-Control"), "no-store");
  const html = await page.text();
  assert.ok(html.includes(`<form method="post" action="${path}">`), html);
  assert.match(html, /<button type="submit">Unsubscribe<\/button>/);
  assert.match(html, /k\*\*\*@mail\.example/);
  assert.doesNotMatch(html, /kai\.clark1/, "the address masked");
  assert.doesNotMatch(html, /name="_csrf"/, "the form needs no token");
  assert.equal((await getPerson(t.db, "gdn1"))!.versionstamp, kai.versionstamp, "opening the link changes nothing");

  // The button: the page's own form, posted as a browser would (its cookie, no token).
  const button = await visitor.request(path, {
    method: "POST",
    body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  assert.equal(button.status, 200);
  const done = await button.text();
  assert.match(done, /You are unsubscribed/);
  assert.match(done, /General messages from .* will no longer be emailed to <strong>k\*\*\*@mail\.example<\/strong>/);
  assert.match(done, /href="\/family\/signin"/, "how to turn it back on");
  const after = (await getPerson(t.db, "gdn1"))!;
  assert.equal(after.value.devices.find((d) => d.kind === "email")!.general, false);
  assert.equal((await getPerson(t.db, "gdn2"))!.value.devices.find((d) => d.kind === "email")!.general, false);

  // A mail provider's one-click, urlencoded or multipart, any number of times: the same answer, no further change.
  for (const multipart of [false, true, false]) {
    const again = await oneClick(t, path, multipart);
    assert.equal(again.status, 200);
    assert.match(await again.text(), /You are unsubscribed/);
  }
  assert.equal((await getPerson(t.db, "gdn1"))!.versionstamp, after.versionstamp, "idempotent");
  t.close();
});

Deno.test("/unsubscribe: a forged, altered or mangled link is a 404 with a plain message, by GET or POST, and changes nothing", async () => {
  const t = await testApp();
  const secret = await unsubscribeSecret(t.db);
  const kai = (await getPerson(t.db, "gdn1"))!;
  const [email, phone] = kai.value.devices;
  const good = unsubscribePath(secret, { personId: "gdn1", deviceId: email.id, address: email.address });
  const sig = good.split("/").pop()!;
  const flipped = `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`;
  const forged = unsubscribePath(new Uint8Array(32).fill(1), {
    personId: "gdn1",
    deviceId: email.id,
    address: email.address,
  });
  const bad = [
    `/unsubscribe/gdn1/${email.id}/${flipped}`, // altered
    forged, // signed with another key
    `/unsubscribe/gdn2/${email.id}/${sig}`, // another person with Kai's signature
    `/unsubscribe/gdn1/${phone.id}/${sig}`, // another device
    unsubscribePath(secret, { personId: "gdn1", deviceId: phone.id, address: phone.address }), // not an email
    unsubscribePath(secret, { personId: "gdn1", deviceId: email.id, address: "someone.else@mail.example" }),
    unsubscribePath(secret, { personId: "nobody", deviceId: "email", address: email.address }),
    `/unsubscribe/gdn1/${email.id}/${sig.slice(1)}`, // cut short
    `/unsubscribe/gdn1/${email.id}/${sig}x`,
    `/unsubscribe/gdn1/${email.id}/${sig.slice(0, -1)}%25`,
    `/unsubscribe/${"x".repeat(65)}/${email.id}/${sig}`,
  ];
  let page: string | undefined;
  for (const path of bad) {
    for (const method of ["GET", "POST"]) {
      const res = method === "GET" ? await t.app.request(path) : await oneClick(t, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      const html = await res.text();
      assert.match(html, /This unsubscribe link does not work/, `${method} ${path}`);
      assert.match(html, /Nothing was changed/);
      assert.equal(html, page ??= html, `${method} ${path}: the same page, whatever the reason`);
    }
  }
  assert.equal((await getPerson(t.db, "gdn1"))!.versionstamp, kai.versionstamp, "nothing changed");
  assert.equal((await getPerson(t.db, "gdn2"))!.value.devices[0].general, true);
  t.close();
});

Deno.test("unsubscribed shows in the family's preferences as General unticked for that email; they can tick it back on", async () => {
  const t = await testApp();
  const secret = await unsubscribeSecret(t.db);
  const [email, phone] = (await getPerson(t.db, "gdn1"))!.value.devices;
  const link = unsubscribePath(secret, { personId: "gdn1", deviceId: email.id, address: email.address });
  assert.equal((await oneClick(t, link)).status, 200);

  const family = new Client(t.app);
  const prefs = await preferencesPath(t.db, "gdn1");
  const html = await (await family.get(prefs)).text();
  assert.match(html, new RegExp(`name="${email.id}:general"(?! checked)`), "General unticked for the email");
  assert.match(html, new RegExp(`name="${email.id}:priority" checked`));
  assert.match(html, new RegExp(`name="${phone.id}:general" checked`), "the phone's General stays");

  const ticked = Object.fromEntries(
    [email, phone].flatMap((d) => (["general", "priority", "emergency"] as const).map((k) => [`${d.id}:${k}`, "on"])),
  );
  assert.equal((await family.post(prefs, { ...ticked, language: "" })).status, 200);
  assert.equal((await getPerson(t.db, "gdn1"))!.value.devices[0].general, true, "General email back on");
  t.close();
});

Deno.test("/unsubscribe: a roster id with slashes, quotes, spaces and percent signs goes through the link intact", async () => {
  const t = await testApp();
  const kai = (await getPerson(t.db, "gdn1"))!.value;
  const id = "it's a/b (c)&d%20é";
  await savePerson(t.db, null, { ...kai, id, devices: [{ ...kai.devices[0], address: "odd.id@mail.example" }] });
  const [email] = (await getPerson(t.db, id))!.value.devices;
  const path = unsubscribePath(await unsubscribeSecret(t.db), {
    personId: id,
    deviceId: email.id,
    address: email.address,
  });
  assert.equal((await t.app.request(path)).status, 200);
  assert.equal((await oneClick(t, path)).status, 200);
  assert.equal((await getPerson(t.db, id))!.value.devices[0].general, false);
  assert.equal((await getPerson(t.db, "gdn1"))!.value.devices[0].general, true, "only that address");
  t.close();
});
