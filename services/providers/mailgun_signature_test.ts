import assert from "node:assert/strict";
import { signMailgun, verifyMailgunSignature } from "./mailgun_signature.ts";

const KEY = "key-test-signing-0123456789";
// The payload example in Mailgun's webhook docs, its signature made with KEY by openssl (not by this code):
// printf '%s' "$timestamp$token" | openssl dgst -sha256 -hmac "$KEY"
const TIMESTAMP = "1529006854";
const TOKEN = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";
const OPENSSL = "edd073e70434d9b21ea75cc825036541bdb502cda3a13925a410997d562fc804";
const AT = Number(TIMESTAMP) * 1000;

Deno.test("Mailgun signature: hex HMAC-SHA256 of timestamp + token, as openssl computes it", () => {
  assert.equal(signMailgun(KEY, TIMESTAMP, TOKEN), OPENSSL);
  assert.ok(verifyMailgunSignature(KEY, { timestamp: TIMESTAMP, token: TOKEN, signature: OPENSSL }, AT));
  assert.ok(
    verifyMailgunSignature(KEY, { timestamp: TIMESTAMP, token: TOKEN, signature: OPENSSL.toUpperCase() }, AT),
    "hex is hex in either case",
  );
});

Deno.test("Mailgun signature: another key, token, timestamp or one changed digit is refused", () => {
  const sig = { timestamp: TIMESTAMP, token: TOKEN, signature: OPENSSL };
  assert.equal(verifyMailgunSignature("key-someone-else-000000000", sig, AT), false);
  assert.equal(verifyMailgunSignature(KEY, { ...sig, token: TOKEN.replace("a8", "a9") }, AT), false);
  assert.equal(verifyMailgunSignature(KEY, { ...sig, timestamp: String(Number(TIMESTAMP) + 1) }, AT), false);
  const flipped = (OPENSSL[0] === "e" ? "f" : "e") + OPENSSL.slice(1);
  assert.equal(verifyMailgunSignature(KEY, { ...sig, signature: flipped }, AT), false);
});

Deno.test("Mailgun signature: only while the timestamp is within maxAgeMs of now, past or future", () => {
  const sig = { timestamp: TIMESTAMP, token: TOKEN, signature: OPENSSL };
  const fiveMinutes = 5 * 60_000;
  assert.ok(verifyMailgunSignature(KEY, sig, AT + fiveMinutes), "five minutes old: still fresh");
  assert.equal(verifyMailgunSignature(KEY, sig, AT + fiveMinutes + 1), false, "older: stale");
  assert.ok(verifyMailgunSignature(KEY, sig, AT - fiveMinutes));
  assert.equal(verifyMailgunSignature(KEY, sig, AT - fiveMinutes - 1), false, "too far in the future");
  assert.ok(verifyMailgunSignature(KEY, sig, AT + 8 * 3_600_000, 9 * 3_600_000), "a longer window when asked for");
});

Deno.test("Mailgun signature: malformed blocks are refused, never thrown on", () => {
  const good = { timestamp: TIMESTAMP, token: TOKEN, signature: OPENSSL };
  const malformed: unknown[] = [
    null,
    undefined,
    {},
    { ...good, timestamp: Number(TIMESTAMP) },
    { ...good, timestamp: `${TIMESTAMP}.5` },
    { ...good, timestamp: "" },
    { ...good, token: "" },
    { ...good, token: "with space" },
    { ...good, token: "x".repeat(257) },
    { ...good, signature: OPENSSL.slice(1) },
    { ...good, signature: `${OPENSSL.slice(1)}g` },
    { ...good, signature: ["x"] },
  ];
  for (const sig of malformed) {
    assert.equal(verifyMailgunSignature(KEY, sig as never, AT), false, JSON.stringify(sig));
  }
  assert.equal(verifyMailgunSignature("", { ...good, signature: signMailgun("", TIMESTAMP, TOKEN) }, AT), false);
});
