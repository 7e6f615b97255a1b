/**
 * Family sign-in without the preferences link: pending requests (an email's
 * one-time link, a text's code, a shared phone's choice of guardian) and the
 * request counts that limit them. Tokens and codes are stored only as
 * SHA-256 hashes, so a copy of KV signs nobody in; every record expires by
 * itself (KV `expireIn`), and using one is a checked commit, so it works once.
 */
import { Buffer } from "node:buffer";
import { z } from "zod";
import type { Db } from "./kv.ts";

/**
 * `purpose`: an email's link, a text's code (keyed by the request's id, the
 * code's hash inside), or the choice of guardian after either. `tries`: codes
 * entered so far, counted before each is compared.
 */
export const SignInRequest = z.object({
  purpose: z.enum(["link", "code", "choice"]),
  personIds: z.array(z.string()).min(1),
  expiresAt: z.number(),
  codeHash: z.string().optional(),
  tries: z.number().int().nonnegative().default(0),
});
export type SignInRequest = z.infer<typeof SignInRequest>;

export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("base64url");
}

const requestKey = async (db: Db, secret: string): Promise<Deno.KvKey> => [
  db.districtId,
  "family_signin",
  await sha256(secret),
];

/** Saves a request under the hash of `secret` (a link's token, or a code request's id) until `expiresAt`. */
export async function saveSignInRequest(db: Db, secret: string, request: SignInRequest, now: number): Promise<void> {
  await db.kv.set(await requestKey(db, secret), request, { expireIn: Math.max(1, request.expiresAt - now) });
}

/** The request and its entry (for a checked change); null for none, expired or not a request. */
export async function getSignInRequest(
  db: Db,
  secret: string,
  now: number,
): Promise<{ entry: Deno.KvEntryMaybe<unknown>; request: SignInRequest } | null> {
  const entry = await db.kv.get(await requestKey(db, secret));
  const parsed = SignInRequest.safeParse(entry.value);
  // KV's expiry is lazy: the time is checked here too.
  if (!parsed.success || parsed.data.expiresAt <= now) return null;
  return { entry, request: parsed.data };
}

/** Deletes the request if nobody used or changed it since it was read; false when another use came first. */
export async function takeSignInRequest(db: Db, entry: Deno.KvEntryMaybe<unknown>): Promise<boolean> {
  return (await db.kv.atomic().check(entry).delete(entry.key).commit()).ok;
}

/**
 * Counts one more try at a code, if nothing changed since it was read: the
 * entry as now stored (to take it with), or null when another try came first.
 */
export async function countCodeTry(
  db: Db,
  entry: Deno.KvEntryMaybe<unknown>,
  request: SignInRequest,
  now: number,
): Promise<Deno.KvEntryMaybe<unknown> | null> {
  const next = { ...request, tries: request.tries + 1 };
  const op = db.kv.atomic().check(entry).set(entry.key, next, { expireIn: Math.max(1, request.expiresAt - now) });
  const result = await op.commit();
  return result.ok ? { key: entry.key, value: next, versionstamp: result.versionstamp } : null;
}

const Count = z.object({ count: z.number().int().nonnegative(), since: z.number() });

const rateKey = (db: Db, scope: "address" | "client", value: string): Deno.KvKey => [
  db.districtId,
  "family_signin_rate",
  scope,
  value.slice(0, 100),
];

/**
 * Counts one request against each limit, in a fixed window of `windowMs`
 * from its first request; false (and nothing counted) when any is used up.
 * Checked, so requests sent at once are counted like requests in a row.
 */
export async function takeRequestAllowance(
  db: Db,
  limits: { scope: "address" | "client"; value: string; max: number }[],
  windowMs: number,
  now: number,
): Promise<boolean> {
  const keys = limits.map((l) => rateKey(db, l.scope, l.value));
  for (let round = 0; round < 20; round++) {
    const entries = await db.kv.getMany(keys);
    const counts = entries.map((e) => {
      const parsed = Count.safeParse(e.value);
      return parsed.success && now - parsed.data.since < windowMs ? parsed.data : { count: 0, since: now };
    });
    if (counts.some((c, i) => c.count >= limits[i].max)) return false;
    const op = db.kv.atomic();
    entries.forEach((e, i) => {
      const expireIn = Math.max(1, counts[i].since + windowMs - now);
      op.check(e).set(e.key, { count: counts[i].count + 1, since: counts[i].since }, { expireIn });
    });
    if ((await op.commit()).ok) return true;
  }
  return false;
}
