/**
 * Webhook tokens already seen, per provider: a signed request is applied
 * once, never again when replayed. Each token is kept under its SHA-256 (a
 * key of fixed length whatever was sent) for the time the caller gives: at
 * least as long as a signature is accepted, or a replay outlives its token.
 */
import { Buffer } from "node:buffer";
import type { Db } from "./kv.ts";

const tokenKey = async (db: Db, provider: string, token: string): Promise<Deno.KvKey> => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [db.districtId, "webhook_tokens", provider, Buffer.from(digest).toString("base64url")];
};

/**
 * True the first time `token` is claimed within `ttlMs`, false for a replay.
 * The claim is a commit checked on what was read, so of replays racing each
 * other exactly one wins. KV deletes expired keys lazily (up to a minute
 * late, and reads still see them): the time kept in the value decides.
 */
export async function claimWebhookToken(db: Db, provider: "mailgun", token: string, ttlMs: number): Promise<boolean> {
  const key = await tokenKey(db, provider, token);
  const seen = await db.kv.get<number>(key);
  if (seen.value !== null && seen.value > Date.now()) return false;
  const ttl = Math.max(1, Math.ceil(ttlMs));
  const result = await db.kv.atomic().check(seen).set(key, Date.now() + ttl, { expireIn: ttl }).commit();
  return result.ok;
}

/** Forgets a claimed token whose event could not be applied, so the provider's retry of it is not a replay. */
export async function releaseWebhookToken(db: Db, provider: "mailgun", token: string): Promise<void> {
  await db.kv.delete(await tokenKey(db, provider, token));
}
