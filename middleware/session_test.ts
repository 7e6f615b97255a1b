import assert from "node:assert/strict";
import { Client, signedIn, testApp } from "../tests/support/app.ts";
import { SESSION_COOKIE } from "./session.ts";

Deno.test("the session cookie names the user; an unknown one is nobody", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const page = await admin.get("/messages");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Sign out/);
  const forged = await t.app.request("/messages", { headers: { Cookie: `${SESSION_COOKIE}=not-a-session` } });
  assert.equal(forged.status, 303);
  assert.match(forged.headers.get("Location") ?? "", /^\/signin/);
  await new Client(t.app).get("/signin").then((r) => r.body?.cancel());
  t.close();
});
