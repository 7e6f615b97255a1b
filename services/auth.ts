/**
 * Passwords and sessions (the sign-in throttle is in sign_in.ts). Passwords are hashed with
 * scrypt (node:crypto, no native add-on to build) and never stored or logged
 * in clear; the session cookie holds a random token whose SHA-256 is the key.
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { User } from "./model.ts";
import type { Db } from "./store/kv.ts";
import { getUser } from "./store/users.ts";
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
/** `epoch`: the user's sessionEpoch when it began; raising that ends every session at once. */
const Session = z.object({ userId: z.string(), createdAt: z.number(), epoch: z.number().default(0) });

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

export async function createSession(db: Db, user: User, clock: Clock): Promise<string> {
  const token = randomToken();
  const session = { userId: user.id, createdAt: clock.now(), epoch: user.sessionEpoch };
  await db.kv.set(await sessionKey(db, token), session, { expireIn: SESSION_TTL_MS });
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
  return user && !user.value.disabled && user.value.sessionEpoch === session.data.epoch ? user.value : null;
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.kv.delete(await sessionKey(db, token));
}
