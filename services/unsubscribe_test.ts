import assert from "node:assert/strict";
import { testApp } from "../tests/support/app.ts";
import { escapeHtml } from "./merge.ts";
import { getPerson, savePerson } from "./store/people.ts";
import { getSecret } from "./store/secrets.ts";
import {
  deviceForUnsubscribe,
  unsubscribePath,
  unsubscribeSecret,
  unsubscribeSig,
  withUnsubscribeLink,
} from "./unsubscribe.ts";

const SECRET = new Uint8Array(32).fill(7);
const TARGET = { personId: "gdn-1", deviceId: "email", address: "ana.okafor@mail.example" };

Deno.test("the signature: HMAC-SHA256 in 43 base64url characters, for this person, device and address only", () => {
  const sig = unsubscribeSig(SECRET, TARGET);
  assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(unsubscribeSig(SECRET, TARGET), sig, "the same link for the same address");
  assert.equal(unsubscribeSig(SECRET, { ...TARGET, address: "Ana.Okafor@MAIL.example" }), sig, "case aside");
  const others = [
    unsubscribeSig(SECRET, { ...TARGET, personId: "gdn-2" }),
    unsubscribeSig(SECRET, { ...TARGET, deviceId: "email2" }),
    unsubscribeSig(SECRET, { ...TARGET, address: "other@mail.example" }),
    unsubscribeSig(new Uint8Array(32).fill(8), TARGET),
    // The parts cannot be shifted into one another.
    unsubscribeSig(SECRET, { personId: "gdn-1email", deviceId: "", address: TARGET.address }),
  ];
  assert.equal(new Set([sig, ...others]).size, others.length + 1);
});

Deno.test("the path names person and device, and reads the same in HTML as in text (no character HTML escapes)", () => {
  const odd = { personId: 'it\'s a/b (c)&d<e>"f"!*', deviceId: "e 1", address: "x@mail.example" };
  const path = unsubscribePath(SECRET, odd);
  assert.equal(escapeHtml(path), path);
  const [, , person, device, sig] = path.split("/");
  assert.equal(decodeURIComponent(person), odd.personId);
  assert.equal(decodeURIComponent(device), odd.deviceId);
  assert.equal(sig, unsubscribeSig(SECRET, odd));
});

Deno.test("the footer: the link in both bodies, saying whose general messages stop and that the others do not", () => {
  const url = `https://messenger.example.org${unsubscribePath(SECRET, TARGET)}`;
  const email = withUnsubscribeLink(
    { to: TARGET.address, html: "<p>Hello</p>", text: "Hello" },
    url,
    "Maple Valley <School> District",
  );
  assert.equal(email.unsubscribeUrl, url);
  assert.ok(email.html.startsWith("<p>Hello</p>") && email.text.startsWith("Hello\n"));
  assert.ok(
    email.html.includes(
      `<a href="${url}">Unsubscribe from general messages from Maple Valley &lt;School&gt; District</a>`,
    ),
  );
  assert.ok(email.text.includes(`Unsubscribe from general messages from Maple Valley <School> District: ${url}`));
  assert.match(email.html, /Priority and emergency messages will still reach you/);
  assert.match(email.text, /Priority and emergency messages will still reach you/);
});

Deno.test("a link is honoured for its own email device and address only; reading it never makes the secret", async () => {
  const t = await testApp();
  const person = (await getPerson(t.db, "gdn1"))!;
  const email = person.value.devices.find((d) => d.kind === "email")!;
  const phone = person.value.devices.find((d) => d.kind === "phone")!;
  const target = { personId: person.value.id, deviceId: email.id, address: email.address };

  // Before any General email, no link can be good, and asking does not create the secret.
  assert.equal(await deviceForUnsubscribe(t.db, target.personId, target.deviceId, "A".repeat(43)), null);
  assert.equal(await getSecret(t.db, "unsubscribe"), null);

  const secret = await unsubscribeSecret(t.db);
  assert.deepEqual(await unsubscribeSecret(t.db), secret, "made once");
  const sig = unsubscribeSig(secret, target);
  const found = await deviceForUnsubscribe(t.db, target.personId, target.deviceId, sig);
  assert.equal(found?.person.id, person.value.id);
  assert.equal(found?.device.address, email.address);

  const flipped = sig.slice(0, -1) + (sig.endsWith("A") ? "B" : "A");
  assert.equal(await deviceForUnsubscribe(t.db, target.personId, target.deviceId, flipped), null, "altered");
  assert.equal(await deviceForUnsubscribe(t.db, target.personId, target.deviceId, sig.slice(1)), null, "cut short");
  assert.equal(await deviceForUnsubscribe(t.db, "gdn2", target.deviceId, sig), null, "another person");
  assert.equal(await deviceForUnsubscribe(t.db, "nobody", target.deviceId, sig), null, "unknown person");
  const phoneSig = unsubscribeSig(secret, { ...target, deviceId: phone.id, address: phone.address });
  assert.equal(await deviceForUnsubscribe(t.db, target.personId, phone.id, phoneSig), null, "not an email device");
  const forged = unsubscribeSig(new Uint8Array(32), target);
  assert.equal(await deviceForUnsubscribe(t.db, target.personId, target.deviceId, forged), null, "another key");

  // The roster gives the device a new address: the old email's link no longer turns the new one off.
  const moved = {
    ...person.value,
    devices: person.value.devices.map((d) => d.id === email.id ? { ...d, address: "new.address@mail.example" } : d),
  };
  await savePerson(t.db, person, moved);
  assert.equal(await deviceForUnsubscribe(t.db, target.personId, target.deviceId, sig), null, "address changed");
  t.close();
});
