import assert from "node:assert/strict";
import { signedIn, testApp } from "../tests/support/app.ts";

Deno.test("only administrators reach /admin pages; everyone else gets 403", async () => {
  const t = await testApp();
  const office = await signedIn(t, "office");
  const admin = await signedIn(t, "admin");
  for (const path of ["/admin/users", "/admin/people", "/admin/roster", "/admin/users/usr-admin"]) {
    const refused = await office.get(path);
    assert.equal(refused.status, 403, path);
    assert.match(await refused.text(), /Only district administrators/);
    const res = await admin.get(path);
    await res.body?.cancel();
    assert.equal(res.status, 200, path);
  }
  t.close();
});
