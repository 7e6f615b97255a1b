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
  const unseen = await unseenWebhookToken(db, provider, token, ttlMs);
  return unseen !== null && (await stageWebhookToken(db.kv.atomic(), unseen).commit()).ok;
}

/** A token as read, to claim in a commit of the caller's: null when it was seen already (a replay). */
export interface UnseenToken {
  entry: Deno.KvEntryMaybe<number>;
  ttl: number;
}

export async function unseenWebhookToken(
  db: Db,
  provider: "mailgun",
  token: string,
  ttlMs: number,
): Promise<UnseenToken | null> {
  const entry = await db.kv.get<number>(await tokenKey(db, provider, token));
  if (entry.value !== null && entry.value > Date.now()) return null;
  return { entry, ttl: Math.max(1, Math.ceil(ttlMs)) };
}

/** Claims the token in `op`, checked on what was read: of two commits claiming it, one lands. */
export function stageWebhookToken(op: Deno.AtomicOperation, { entry, ttl }: UnseenToken): Deno.AtomicOperation {
  return op.check(entry).set(entry.key, Date.now() + ttl, { expireIn: ttl });
}
