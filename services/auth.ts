/**
 * Passwords and sessions (the sign-in throttle is in sign_in.ts). Passwords are hashed with
 * scrypt (node:crypto, no native add-on to build) and never stored or logged
 * in clear; the session cookie holds a random token whose SHA-256 is the key.
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { User } from "./model.ts";
import type { Db } from "./store/kv.ts";
import { deleteSession, getSession, saveSession } from "./store/sessions.ts";
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
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export async function createSession(db: Db, user: User, clock: Clock): Promise<string> {
  const token = randomToken();
  const session = { userId: user.id, createdAt: clock.now(), epoch: user.sessionEpoch };
  await saveSession(db, token, session, SESSION_TTL_MS);
  return token;
}

/** The signed-in user, read fresh each request so rights changes apply at once. */
export async function userForSession(
  db: Db,
  token: string | undefined,
  clock: Clock,
): Promise<User | null> {
  if (!token || token.length > 100) return null;
  const session = await getSession(db, token);
  if (!session || clock.now() - session.createdAt > SESSION_TTL_MS) return null;
  const user = await getUser(db, session.userId);
  return user && !user.value.disabled && user.value.sessionEpoch === session.epoch ? user.value : null;
}

export async function endSession(db: Db, token: string): Promise<void> {
  await deleteSession(db, token);
}
