import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "./auth.ts";

Deno.test("passwords: salted scrypt, never in clear, verified in constant time", async () => {
  const a = await hashPassword("correct horse");
  const b = await hashPassword("correct horse");
  assert.notEqual(a, b, "a new salt each time");
  assert.ok(!a.includes("correct horse"));
  assert.match(a, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword("correct horse", a), true);
  assert.equal(await verifyPassword("correct horsf", a), false);
  assert.equal(await verifyPassword("x", "plain-text"), false);
});
