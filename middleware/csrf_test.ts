import assert from "node:assert/strict";
import { Client, signedIn, testApp } from "../tests/support/app.ts";

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
