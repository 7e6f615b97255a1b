/**
 * Passwords, sessions and the sign-in throttle. Passwords are hashed with
 * scrypt (node:crypto, no native add-on to build) and never stored or logged
 * in clear; the session cookie holds a random token whose SHA-256 is the key.
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { User } from "./model.ts";
import type { Db } from "./store/kv.ts";
import { getUser, getUserByLogin } from "./store/users.ts";
import type { Clock } from "./time.ts";

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scryptAsync(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  keylen: number,
) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password,
      salt,
      keylen,
      { N, r, p, maxmem: 64 * 1024 * 1024 },
      (err, key) => err ? reject(err) : resolve(key),
    )
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(
    password,
    salt,
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    SCRYPT.keylen,
  );
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await scryptAsync(
    password,
    Buffer.from(salt, "base64"),
    +n,
    +r,
    +p,
    expected.length,
  );
  return timingSafeEqual(key, expected);
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const Session = z.object({ userId: z.string(), createdAt: z.number() });

async function sessionKey(db: Db, token: string): Promise<Deno.KvKey> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(token),
  );
  return [db.districtId, "session", Buffer.from(digest).toString("base64url")];
}

export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export async function createSession(
  db: Db,
  userId: string,
  clock: Clock,
): Promise<string> {
  const token = randomToken();
  await db.kv.set(await sessionKey(db, token), {
    userId,
    createdAt: clock.now(),
  }, { expireIn: SESSION_TTL_MS });
  return token;
}

/** The signed-in user, read fresh each request so rights changes apply at once. */
export async function userForSession(
  db: Db,
  token: string | undefined,
  clock: Clock,
): Promise<User | null> {
  if (!token || token.length > 100) return null;
  const entry = await db.kv.get(await sessionKey(db, token));
  const session = Session.safeParse(entry.value);
  if (
    !session.success || clock.now() - session.data.createdAt > SESSION_TTL_MS
  ) return null;
  const user = await getUser(db, session.data.userId);
  return user && !user.value.disabled ? user.value : null;
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.kv.delete(await sessionKey(db, token));
}

export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
const Failures = z.object({
  count: z.number(),
  lockedUntil: z.number().optional(),
});

export type SignInResult =
  | { ok: true; user: User }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "locked"; until: number };

/**
 * Checks a login and password. After MAX_FAILED_SIGN_INS failures in a row
 * the login is locked for LOCKOUT_MS, whatever password is tried, so
 * guessing costs time; a success clears the count.
 */
export async function signIn(
  db: Db,
  login: string,
  password: string,
  clock: Clock,
): Promise<SignInResult> {
  const key = [db.districtId, "sign_in_failures", login.trim().toLowerCase()];
  const failures = Failures.safeParse((await db.kv.get(key)).value);
  const now = clock.now();
  if (
    failures.success && failures.data.lockedUntil &&
    failures.data.lockedUntil > now
  ) {
    return { ok: false, reason: "locked", until: failures.data.lockedUntil };
  }
  const user = await getUserByLogin(db, login);
  const valid = user !== null && !user.value.disabled &&
    await verifyPassword(password, user.value.passwordHash);
  if (valid) {
    await db.kv.delete(key);
    return { ok: true, user: user.value };
  }
  const count = (failures.success && !failures.data.lockedUntil ? failures.data.count : 0) +
    1;
  const lockedUntil = count >= MAX_FAILED_SIGN_INS ? now + LOCKOUT_MS : undefined;
  await db.kv.set(key, { count, lockedUntil }, { expireIn: LOCKOUT_MS * 2 });
  return lockedUntil ? { ok: false, reason: "locked", until: lockedUntil } : { ok: false, reason: "invalid" };
}
