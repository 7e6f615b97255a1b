import assert from "node:assert/strict";
import { Client, signedIn, testApp } from "../tests/support/app.ts";

Deno.test("a multipart body without its boundary, or with the wrong one, is 400 and changes nothing", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const before = await Array.fromAsync(t.db.kv.list({ prefix: [] }));
  const body = '--other\r\nContent-Disposition: form-data; name="login"\r\n\r\nx\r\n--other--\r\n';
  for (const type of ["multipart/form-data", "multipart/form-data; boundary=nope"]) {
    for (
      const [client, path] of [[admin, "/messages/new"], [admin, "/admin/users"], [
        new Client(t.app),
        "/signin",
      ]] as const
    ) {
      const res = await client.request(path, {
        method: "POST",
        body,
        headers: { "Content-Type": type, "X-CSRF-Token": client.csrf },
      });
      assert.equal(res.status, 400, `${path} ${type}`);
      assert.match(await res.text(), /could not be read/);
    }
  }
  const after = await Array.fromAsync(t.db.kv.list({ prefix: [] }));
  assert.deepEqual(after.map((e) => e.versionstamp), before.map((e) => e.versionstamp));
  t.close();
});
