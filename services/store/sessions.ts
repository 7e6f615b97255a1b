/**
 * Sessions, keyed by the SHA-256 of the cookie's token: a copy of KV does
 * not give away a token that works.
 */
import { Buffer } from "node:buffer";
import { z } from "zod";
import type { Db } from "./kv.ts";

/** `epoch`: the user's sessionEpoch when it began; raising that ends every session at once. */
export const Session = z.object({ userId: z.string(), createdAt: z.number(), epoch: z.number().default(0) });
export type Session = z.infer<typeof Session>;

async function sessionKey(db: Db, token: string): Promise<Deno.KvKey> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [db.districtId, "session", Buffer.from(digest).toString("base64url")];
}

export async function saveSession(db: Db, token: string, session: Session, ttlMs: number): Promise<void> {
  await db.kv.set(await sessionKey(db, token), session, { expireIn: ttlMs });
}

/** The session of a token; null for none, or for a record that is not a session. */
export async function getSession(db: Db, token: string): Promise<Session | null> {
  const parsed = Session.safeParse((await db.kv.get(await sessionKey(db, token))).value);
  return parsed.success ? parsed.data : null;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.kv.delete(await sessionKey(db, token));
}
