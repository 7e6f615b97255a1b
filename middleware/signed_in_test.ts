import assert from "node:assert/strict";
import { Client, testApp } from "../tests/support/app.ts";
import { preferencesPath } from "../services/preferences.ts";

Deno.test("signed out: every page redirects to sign-in, keeping where the user was going", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  for (const path of ["/messages", "/messages/msg-attendance", "/runs/R9M4T6HA3E7S", "/messages?tab=in-progress"]) {
    const res = await c.get(path);
    assert.equal(res.status, 303, path);
    assert.equal(res.headers.get("Location"), `/signin?next=${encodeURIComponent(path)}`);
  }
  const frag = await c.get("/messages", { "HX-Request": "true" });
  assert.equal(frag.status, 401);
  assert.equal(frag.headers.get("HX-Redirect"), "/signin");
  t.close();
});

Deno.test("a family's preferences link needs no sign-in, wherever its routes are mounted", async () => {
  const t = await testApp();
  const family = new Client(t.app);
  const path = await preferencesPath(t.db, "gdn1");
  const res = await family.get(path);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Contact preferences for/);
  const saved = await family.post(path, { language: "" });
  assert.equal(saved.status, 200);
  await saved.body?.cancel();
  t.close();
});
