/**
 * Sign-in with a throttle that holds under concurrent guessing.
 *
 * Each attempt is counted as a failure before its password is checked, in a
 * versionstamp-checked commit, so 24 guesses sent at once are throttled
 * exactly like 24 sent in a row; a success then clears the count. Failures
 * are counted per login and client address (MAX_FAILED_SIGN_INS locks that
 * pair) and per login from every address (MAX_FAILED_SIGN_INS_PER_LOGIN
 * locks the login for everyone): one guesser cannot lock a user out from
 * everywhere, and guessing from many addresses still hits a ceiling.
 */
import { z } from "zod";
import { hashPassword, randomToken, verifyPassword } from "./auth.ts";
import type { User } from "./model.ts";
import type { Db } from "./store/kv.ts";
import { clearClientFailures, readFailures, writeFailures } from "./store/sign_in_failures.ts";
import { getUserByLogin } from "./store/users.ts";
import type { Clock } from "./time.ts";

export const MAX_FAILED_SIGN_INS = 5;
export const MAX_FAILED_SIGN_INS_PER_LOGIN = 50;
export const LOCKOUT_MS = 15 * 60 * 1000;

const Failures = z.object({
  count: z.number().int().nonnegative(),
  /** When the count started: a count older than LOCKOUT_MS starts again. */
  since: z.number(),
  lockedUntil: z.number().optional(),
});
type Failures = z.infer<typeof Failures>;

export type SignInResult =
  | { ok: true; user: User }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "locked"; until: number };

export interface SignInAttempt {
  login: string;
  password: string;
  /** The client's address, as far as it can be told; "" when unknown. */
  client: string;
}

/** A hash to check unknown logins against, so they cost what a known one does. */
let dummyHash: Promise<string> | undefined;

function counted(entry: Deno.KvEntryMaybe<unknown>, now: number): Failures {
  const parsed = Failures.safeParse(entry.value);
  if (!parsed.success) return { count: 0, since: now };
  const f = parsed.data;
  const lapsed = f.lockedUntil ? f.lockedUntil <= now : now - f.since > LOCKOUT_MS;
  return lapsed ? { count: 0, since: now } : f;
}

/**
 * Counts this attempt as a failure before its password is checked: the
 * lock, or null when the attempt may go on. Retries while other attempts
 * commit in between; after that many conflicts the attempt is refused too.
 */
async function takeAttempt(db: Db, login: string, client: string, now: number): Promise<number | null> {
  const limits = [MAX_FAILED_SIGN_INS, MAX_FAILED_SIGN_INS_PER_LOGIN];
  for (let round = 0; round < 100; round++) {
    const entries = await readFailures(db, login, client);
    const current = entries.map((e) => counted(e, now));
    const locked = current.map((f) => f.lockedUntil ?? 0).find((until) => until > now);
    if (locked) return locked;
    const next: Failures[] = current.map((f, i) => {
      const count = f.count + 1;
      return { count, since: f.since, ...(count >= limits[i] ? { lockedUntil: now + LOCKOUT_MS } : {}) };
    });
    if (await writeFailures(db, entries, next, LOCKOUT_MS * 2)) return null;
  }
  return now + LOCKOUT_MS;
}

async function lockOf(db: Db, login: string, client: string, now: number): Promise<number | undefined> {
  const entries = await readFailures(db, login, client);
  return entries.map((e) => counted(e, now).lockedUntil ?? 0).find((until) => until > now);
}

export async function signIn(
  db: Db,
  attempt: SignInAttempt,
  clock: Clock,
  verify: (password: string, hash: string) => Promise<boolean> = verifyPassword,
): Promise<SignInResult> {
  const login = attempt.login.trim().toLowerCase();
  const now = clock.now();
  const locked = await takeAttempt(db, login, attempt.client, now);
  if (locked) return { ok: false, reason: "locked", until: locked };
  const user = await getUserByLogin(db, login);
  const usable = user !== null && !user.value.disabled;
  const hash = usable ? user.value.passwordHash : await (dummyHash ??= hashPassword(randomToken()));
  if (await verify(attempt.password, hash) && usable) {
    await clearClientFailures(db, login, attempt.client);
    return { ok: true, user: user.value };
  }
  const until = await lockOf(db, login, attempt.client, now);
  return until ? { ok: false, reason: "locked", until } : { ok: false, reason: "invalid" };
}
