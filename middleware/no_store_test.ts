import assert from "node:assert/strict";
import { signedIn, testApp } from "../tests/support/app.ts";
import { getRun } from "../services/store/runs.ts";

Deno.test("pages and downloads behind sign-in are no-store; static files stay cacheable", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const runId = "R9M4T6HA3E7S";
  assert.ok(await getRun(t.db, runId), "a demo run");
  for (const path of ["/messages", `/runs/${runId}`, `/runs/${runId}/recipients`, `/runs/${runId}/recipients.csv`]) {
    const res = await admin.get(path);
    await res.body?.cancel();
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("Cache-Control"), "no-store", path);
  }
  for (const path of ["/admin/users", "/outbox", "/signin"]) {
    const res = await admin.get(path);
    await res.body?.cancel();
    assert.equal(res.headers.get("Cache-Control"), "no-store", path);
  }
  const css = await admin.get("/static/app.css");
  await css.body?.cancel();
  assert.equal(css.status, 200);
  assert.notEqual(css.headers.get("Cache-Control"), "no-store");
  t.close();
});
