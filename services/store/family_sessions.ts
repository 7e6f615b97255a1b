/**
 * Family portal sessions, keyed by the SHA-256 of the cookie's token (a copy
 * of KV gives away no token that works). Apart from staff sessions on
 * purpose: a family session names a person, never a user, so neither can
 * stand in for the other.
 */
import { Buffer } from "node:buffer";
import { z } from "zod";
import type { Db } from "./kv.ts";

/** `seenAt`: the last request that renewed it; idle expiry counts from here. */
export const FamilySession = z.object({ personId: z.string(), createdAt: z.number(), seenAt: z.number() });
export type FamilySession = z.infer<typeof FamilySession>;

async function familySessionKey(db: Db, token: string): Promise<Deno.KvKey> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [db.districtId, "family_session", Buffer.from(digest).toString("base64url")];
}

/** Saves (or renews) a session; KV drops it by itself once idle for `ttlMs`. */
export async function saveFamilySession(db: Db, token: string, session: FamilySession, ttlMs: number): Promise<void> {
  await db.kv.set(await familySessionKey(db, token), session, { expireIn: ttlMs });
}

/** The session of a token; null for none, or for a record that is not a family session. */
export async function getFamilySession(db: Db, token: string): Promise<FamilySession | null> {
  const parsed = FamilySession.safeParse((await db.kv.get(await familySessionKey(db, token))).value);
  return parsed.success ? parsed.data : null;
}

export async function deleteFamilySession(db: Db, token: string): Promise<void> {
  await db.kv.delete(await familySessionKey(db, token));
}
