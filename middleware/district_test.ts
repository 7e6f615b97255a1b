import assert from "node:assert/strict";
import { testApp } from "../tests/support/app.ts";

Deno.test("with no district yet every page is 503 and says how to make one", async () => {
  const t = await testApp({ seed: false });
  for (const path of ["/messages", "/signin", "/no-such-page"]) {
    const res = await t.app.request(path);
    assert.equal(res.status, 503, path);
    assert.match(await res.text(), /no district yet/);
  }
  t.close();
});
