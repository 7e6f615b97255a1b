import assert from "node:assert/strict";
import { signedIn, testApp } from "../tests/support/app.ts";

Deno.test("a path segment longer than any id is a 404, on every route that takes an id", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const long = "x".repeat(3000);
  for (const path of ["/admin/users/", "/admin/people/", "/admin/roster/", "/messages/", "/runs/", "/sent/"]) {
    const res = await admin.get(path + long);
    await res.body?.cancel();
    assert.equal(res.status, 404, path);
  }
  const post = await admin.post(`/admin/users/${long}/password`, { password: "a-long-password" });
  assert.equal(post.status, 404);
  const emoji = await admin.get(`/admin/people/${encodeURIComponent("😀".repeat(40))}`);
  await emoji.body?.cancel();
  assert.equal(emoji.status, 404);
  t.close();
});
