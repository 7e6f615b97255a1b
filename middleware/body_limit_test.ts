import assert from "node:assert/strict";
import { signedIn, testApp } from "../tests/support/app.ts";
import { FORM_BYTES } from "./body_limit.ts";

Deno.test("a form over 256 KiB is 413, but the wizard and a roster upload may send more", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const send = (path: string, bytes: number) =>
    admin.request(path, {
      method: "POST",
      body: new Uint8Array(bytes),
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": admin.csrf },
    });
  const form = await send("/admin/users", FORM_BYTES + 1);
  assert.equal(form.status, 413);
  assert.match(await form.text(), /The upload is too large/);
  for (const path of ["/compose/ABCDEFGHJKMN/content", "/admin/roster"]) {
    const res = await send(path, FORM_BYTES + 1);
    await res.body?.cancel();
    assert.notEqual(res.status, 413, path);
  }
  t.close();
});
