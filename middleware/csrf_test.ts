import assert from "node:assert/strict";
import { Client, signedIn, testApp } from "../tests/support/app.ts";
import { preferencesPath } from "../services/preferences.ts";
import { getPerson } from "../services/store/people.ts";
import { unsubscribePath, unsubscribeSecret } from "../services/unsubscribe.ts";

Deno.test("CSRF: a POST without the token, or with a wrong one, is 403 and changes nothing", async () => {
  const t = await testApp();
  const c = await signedIn(t, "admin");
  const none = await c.post("/signout", {}, "");
  assert.equal(none.status, 403);
  const wrong = await c.post("/signout", {}, "A".repeat(43));
  assert.equal(wrong.status, 403);
  assert.equal((await c.get("/messages")).status, 200, "still signed in");
  const anon = new Client(t.app);
  assert.equal((await anon.post("/signin", { login: "admin", password: "demo-admin" }, "")).status, 403);
  // The htmx header form of the token is accepted.
  const viaHeader = await c.request("/signout", { method: "POST", headers: { "X-CSRF-Token": c.csrf } });
  assert.equal(viaHeader.status, 303);
  t.close();
});

Deno.test("CSRF: only an unsubscribe link's own POST goes without the token; every other path still needs it", async () => {
  const t = await testApp();
  const [email] = (await getPerson(t.db, "gdn1"))!.value.devices;
  const link = unsubscribePath(await unsubscribeSecret(t.db), {
    personId: "gdn1",
    deviceId: email.id,
    address: email.address,
  });
  const anon = new Client(t.app);
  await anon.get("/signin");
  const preferences = await preferencesPath(t.db, "gdn1");
  for (
    const path of [
      preferences,
      "/family/signin",
      "/signin",
      "/unsubscribe/gdn1/email", // not the link's shape
      `${link}/more`,
      `/x${link}`,
    ]
  ) {
    assert.equal((await anon.post(path, { "List-Unsubscribe": "One-Click" }, "")).status, 403, path);
  }
  const staff = await signedIn(t, "admin");
  assert.equal((await staff.post("/signout", {}, "")).status, 403, "a signed-in user's forms too");
  assert.equal((await getPerson(t.db, "gdn1"))!.value.devices[0].general, true, "nothing changed");
  const oneClick = await anon.post(link, { "List-Unsubscribe": "One-Click" }, "");
  assert.equal(oneClick.status, 200, "the link itself");
  assert.equal((await getPerson(t.db, "gdn1"))!.value.devices[0].general, false);
  const put = await anon.request(link, { method: "PUT" });
  assert.equal(put.status, 403, "and only its POST");
  t.close();
});
