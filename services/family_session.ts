/**
 * A family's portal session: begun by the signed preferences link, held in
 * its own cookie, renewed while used and ended after FAMILY_IDLE_MS without
 * a visit. It admits one guardian, checked on every request, so a person
 * removed from the roster (or no longer a guardian) is signed out at once.
 */
import type { Person } from "./model.ts";
import { randomToken } from "./auth.ts";
import { deleteFamilySession, getFamilySession, saveFamilySession } from "./store/family_sessions.ts";
import type { Db } from "./store/kv.ts";
import { getPerson } from "./store/people.ts";
import type { Clock } from "./time.ts";

/** Families come back weeks apart (a message a fortnight is common): a month idle before the link is needed again. */
export const FAMILY_IDLE_MS = 30 * 24 * 60 * 60 * 1000;
/** Renewed at most once a day, so reading pages is not a KV write each time. */
const RENEW_AFTER_MS = 24 * 60 * 60 * 1000;

export async function startFamilySession(db: Db, personId: string, clock: Clock): Promise<string> {
  const token = randomToken();
  const now = clock.now();
  await saveFamilySession(db, token, { personId, createdAt: now, seenAt: now }, FAMILY_IDLE_MS);
  return token;
}

/**
 * The guardian a cookie's session admits, or null: none, idle too long, or
 * no longer a guardian. `renewed`: the session's idle time started again, so
 * the cookie's lifetime should too.
 */
export async function guardianForSession(
  db: Db,
  token: string | undefined,
  clock: Clock,
): Promise<{ person: Person; renewed: boolean } | null> {
  if (!token || token.length > 100) return null;
  const session = await getFamilySession(db, token);
  const now = clock.now();
  if (!session || now - session.seenAt > FAMILY_IDLE_MS) return null;
  const person = await getPerson(db, session.personId);
  if (!person || person.value.kind !== "guardian" || person.value.removedAt) return null;
  const renewed = now - session.seenAt > RENEW_AFTER_MS;
  if (renewed) await saveFamilySession(db, token, { ...session, seenAt: now }, FAMILY_IDLE_MS);
  return { person: person.value, renewed };
}

export async function endFamilySession(db: Db, token: string): Promise<void> {
  await deleteFamilySession(db, token);
}
