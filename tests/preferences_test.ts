import assert from "node:assert/strict";
import { Client, signedIn, testApp } from "./support/app.ts";
import { getPerson, savePerson, setTextOptOut } from "../services/store/people.ts";
import { preferencesPath, preferencesSecret, saveFamilyChoices } from "../services/preferences.ts";

// gdn1 (demo): Kai Clark, an email kai.clark1@mail.example and a phone +16125553170 that takes texts.

/** gdn1's email and phone device ids, which name the form's checkboxes. */
async function kaiDevices(t: Awaited<ReturnType<typeof testApp>>): Promise<[string, string]> {
  const [email, phone] = (await getPerson(t.db, "gdn1"))!.value.devices;
  assert.equal(email.kind, "email");
  assert.equal(phone.address, "+16125553170");
  return [email.id, phone.id];
}

/** An anonymous visitor who opened the page once, so holds the CSRF cookie the form repeats. */
async function family(t: Awaited<ReturnType<typeof testApp>>, path: string) {
  const client = new Client(t.app);
  const res = await client.get(path);
  return { client, res, html: await res.text() };
}

Deno.test("preferences link: a guardian's link opens their page without signing in, devices masked", async () => {
  const t = await testApp();
  const [, dev2] = await kaiDevices(t);
  const path = await preferencesPath(t.db, "gdn1");
  assert.match(path, /^\/preferences\/gdn1\/[A-Za-z0-9_-]{43}$/);
  const { client, res, html } = await family(t, path);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Cache-Control"), "no-store");
  assert.match(html, /Kai Clark/);
  assert.match(html, /Email k\*\*\*@mail\.example/);
  assert.match(html, /Phone \*\*\*-\*\*\*-3170/);
  assert.doesNotMatch(html, /kai\.clark1|16125553170/, "no full address on the page");
  assert.doesNotMatch(html, /Sign out|Upcoming Messages/, "no staff navigation");
  assert.match(html, new RegExp(`name="${dev2}:emergency" checked`));
  assert.match(html, /emergency/i);
  assert.match(html, /<select name="language">/);
  assert.doesNotMatch(html, new RegExp(`name="${dev2}:text"`), "the text flag is not the family's to change");
  assert.ok(client.csrf.length === 43, "an anonymous visitor gets the CSRF cookie");
  assert.match(html, new RegExp(`name="_csrf" value="${client.csrf}"`));
  t.close();
});

Deno.test("preferences link: tampered, unknown, student, staff and removed links are the same 404", async () => {
  const t = await testApp();
  const good = await preferencesPath(t.db, "gdn1");
  const sig = good.split("/").pop()!;
  const flipped = `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`;
  const notFound = await family(t, `/preferences/gdn1/${flipped}`);
  assert.equal(notFound.res.status, 404);
  const page = notFound.html;
  assert.match(page, /This link does not work/);
  for (
    const path of [
      `/preferences/gdn2/${sig}`, // another guardian with gdn1's signature
      `/preferences/gdn1/${sig}x`,
      `/preferences/nobody/${sig}`,
      await preferencesPath(t.db, "nobody"), // validly signed, no such person
      await preferencesPath(t.db, "stu1"), // a student
      await preferencesPath(t.db, "stf-lincoln-1"), // staff
    ]
  ) {
    const r = await family(t, path);
    assert.equal(r.res.status, 404, path);
    assert.equal(r.html, page, `${path}: the same page, whatever the reason`);
  }
  const gdn2 = (await getPerson(t.db, "gdn2"))!;
  await savePerson(t.db, gdn2, { ...gdn2.value, removedAt: new Date().toISOString() });
  assert.equal((await family(t, await preferencesPath(t.db, "gdn2"))).res.status, 404, "removed from the roster");
  // A POST to a bad link changes nothing either.
  const { client } = await family(t, good);
  assert.equal((await client.post(`/preferences/gdn1/${flipped}`, { language: "es" })).status, 404);
  assert.equal((await getPerson(t.db, "gdn1"))!.value.language, undefined);
  t.close();
});

Deno.test("preferences link: Save stores the types per device and the language, never the text flag", async () => {
  const t = await testApp();
  const [dev1, dev2] = await kaiDevices(t);
  const path = await preferencesPath(t.db, "gdn1");
  const { client } = await family(t, path);
  const res = await client.post(path, {
    language: "es",
    [`${dev1}:general`]: "on",
    [`${dev2}:emergency`]: "on",
    [`${dev2}:text`]: "", // not a field of this form: ignored
  });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /Saved/);
  assert.match(html, /<option\s+value="es"\s+selected>/);
  assert.match(html, new RegExp(`name="${dev1}:general" checked`));
  assert.doesNotMatch(html, new RegExp(`name="${dev1}:priority" checked`));
  const after = (await getPerson(t.db, "gdn1"))!.value;
  assert.equal(after.language, "es");
  const [email, phone] = after.devices;
  assert.deepEqual([email.general, email.priority, email.emergency], [true, false, false]);
  assert.deepEqual([phone.general, phone.priority, phone.emergency], [false, false, true]);
  assert.equal(phone.text, true, "still takes texts");
  assert.equal(phone.address, "+16125553170");
  // Back to no preference.
  assert.equal((await client.post(path, { language: "" })).status, 200);
  assert.equal((await getPerson(t.db, "gdn1"))!.value.language, undefined);
  t.close();
});

Deno.test("preferences link: a POST without the CSRF token is 403 and changes nothing", async () => {
  const t = await testApp();
  const path = await preferencesPath(t.db, "gdn1");
  const before = (await getPerson(t.db, "gdn1"))!.value;
  const { client } = await family(t, path);
  assert.equal((await client.post(path, { language: "es" }, "")).status, 403);
  assert.equal((await client.post(path, { language: "es" }, "A".repeat(43))).status, 403);
  // A forged cross-site POST carries no cookie at all.
  assert.equal((await new Client(t.app).post(path, { language: "es" }, "")).status, 403);
  assert.deepEqual((await getPerson(t.db, "gdn1"))!.value, before);
  t.close();
});

Deno.test("preferences link: bad input is 400 with the field and reason, the form filled in, nothing changed", async () => {
  const t = await testApp();
  const [dev1, dev2] = await kaiDevices(t);
  const path = await preferencesPath(t.db, "gdn1");
  const before = (await getPerson(t.db, "gdn1"))!.value;
  const { client } = await family(t, path);
  const bad = await client.post(path, { language: "klingon", [`${dev1}:general`]: "on" });
  assert.equal(bad.status, 400);
  const html = await bad.text();
  assert.match(html, /Preferred language: is not one of the languages offered/);
  assert.match(html, new RegExp(`name="${dev1}:general" checked`), "the boxes come back as sent");
  assert.doesNotMatch(html, new RegExp(`name="${dev2}:general" checked`));
  const odd = await client.post(path, { language: "es", [`${dev2}:priority`]: "yes" });
  assert.equal(odd.status, 400);
  assert.match(await odd.text(), /Priority for \*\*\*-\*\*\*-3170: is not a checkbox value/);
  assert.deepEqual((await getPerson(t.db, "gdn1"))!.value, before);
  t.close();
});

Deno.test("preferences link: a STOP reply shows as opted out of texts with its date and how to undo it", async () => {
  const t = await testApp();
  await setTextOptOut(t.db, "+16125553170", "2026-11-20T15:30:00Z");
  const path = await preferencesPath(t.db, "gdn1");
  const { client, html } = await family(t, path);
  assert.match(html, /Opted out of texts on Fri, Nov 20, 2026, 9:30 AM CST/);
  assert.match(html, /text START/);
  // Saving keeps the opt-out: only START clears it.
  const [, dev2] = await kaiDevices(t);
  assert.equal((await client.post(path, { [`${dev2}:general`]: "on" })).status, 200);
  assert.equal((await getPerson(t.db, "gdn1"))!.value.devices[1].textOptOutAt, "2026-11-20T15:30:00Z");
  t.close();
});

Deno.test("preferences link: a save that races another change reads the person again and keeps both", async () => {
  const t = await testApp();
  const [dev1] = await kaiDevices(t);
  const stale = (await getPerson(t.db, "gdn1"))!;
  await setTextOptOut(t.db, "+16125553170", "2026-11-20T15:30:00Z");
  const saved = await saveFamilyChoices(t.db, stale, {
    language: "so",
    devices: { [dev1]: { general: false, priority: true, emergency: true } },
  }, "2026-11-26T16:00:00.000Z");
  assert.notEqual(typeof saved, "string");
  const after = (await getPerson(t.db, "gdn1"))!.value;
  assert.equal(after.language, "so");
  assert.equal(after.devices[0].general, false);
  assert.equal(after.devices[1].textOptOutAt, "2026-11-20T15:30:00Z", "the STOP in between is kept");
  t.close();
});

Deno.test("preferences link: the signing secret is made once, even by two instances at the same moment", async () => {
  const t = await testApp();
  const [a, b] = await Promise.all([preferencesSecret(t.db), preferencesSecret(t.db)]);
  assert.equal(a.length, 32);
  assert.deepEqual(a, b);
  assert.deepEqual(await preferencesSecret(t.db), a);
  assert.deepEqual((await t.db.kv.get(["demo", "secret", "preferences"])).value, a);
  t.close();
});

Deno.test("preferences link: /admin/people shows a guardian's absolute link with a Copy button", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const html = await (await admin.get("/admin/people/gdn1")).text();
  const path = await preferencesPath(t.db, "gdn1");
  assert.match(html, new RegExp(`<input readonly value="http://localhost${path}"`, "i"));
  assert.match(html, /data-island="CopyButton"/);
  assert.match(html, /Copy link/);
  const student = await (await admin.get("/admin/people/stu1")).text();
  assert.doesNotMatch(student, /preferences link|data-island="CopyButton"/i);
  // With PUBLIC_URL set, the link uses it.
  const configured = await testApp({ publicUrl: "https://messenger.example.org", publicUrlConfigured: true });
  const admin2 = await signedIn(configured, "admin");
  const html2 = await (await admin2.get("/admin/people/gdn1")).text();
  assert.match(
    html2,
    new RegExp(`value="https://messenger\\.example\\.org${await preferencesPath(configured.db, "gdn1")}"`),
  );
  configured.close();
  t.close();
});
