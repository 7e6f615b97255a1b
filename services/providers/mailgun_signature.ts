/**
 * Mailgun's webhook signature: hex HMAC-SHA256, keyed by the webhook signing
 * key, of the timestamp (seconds) followed by the token. It covers neither
 * the body nor the URL, so a captured request can be replayed with any
 * event in it: a valid signature is accepted only while its timestamp is
 * recent, and its token only once (services/store/webhook_tokens.ts, kept at
 * least 2 × maxAgeMs, the whole window a timestamp is accepted in).
 *
 * Mailgun retries a webhook it could not deliver for 8 hours (10 min, 10 min,
 * 15 min, …), and by third-party accounts with the original signature block;
 * Mailgun's docs do not say. A window of minutes then refuses those retries:
 * answer 406 to a refused signature so Mailgun stops, and do not claim a
 * token before the event has been applied.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

export interface MailgunSignature {
  timestamp: string;
  token: string;
  signature: string;
}

export function signMailgun(signingKey: string, timestamp: string, token: string): string {
  return createHmac("sha256", signingKey).update(timestamp + token, "utf8").digest("hex");
}

const TIMESTAMP = /^\d{1,12}$/;
// Mailgun's tokens are 50 random characters; any printable ascii up to 256 is read, nothing else.
const TOKEN = /^[\x21-\x7e]{1,256}$/;
const SIGNATURE = /^[0-9a-f]{64}$/i;

/** True for a signature made with `signingKey` whose timestamp is within `maxAgeMs` of `nowMs`, either way. */
export function verifyMailgunSignature(
  signingKey: string,
  sig: MailgunSignature,
  nowMs: number,
  maxAgeMs = 5 * 60_000,
): boolean {
  // The block comes from a request body: its fields may be anything.
  const { timestamp, token, signature } = (sig ?? {}) as Partial<Record<keyof MailgunSignature, unknown>>;
  if (!signingKey || typeof timestamp !== "string" || typeof token !== "string" || typeof signature !== "string") {
    return false;
  }
  if (!TIMESTAMP.test(timestamp) || !TOKEN.test(token) || !SIGNATURE.test(signature)) return false;
  if (Math.abs(nowMs - Number(timestamp) * 1000) > maxAgeMs) return false;
  const expected = Buffer.from(signMailgun(signingKey, timestamp, token), "hex");
  return timingSafeEqual(expected, Buffer.from(signature, "hex"));
}
