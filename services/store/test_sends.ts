/**
 * Send a test to me: how many tests each user has sent in the current hour.
 * A fixed window from the user's first test in it, counted in a checked
 * commit, so tests pressed at once are counted like tests in a row.
 */
import { z } from "zod";
import type { Db } from "./kv.ts";

const Count = z.object({ count: z.number().int().nonnegative(), since: z.number() });

const countKey = (db: Db, userId: string): Deno.KvKey => [db.districtId, "test_sends", userId];

/**
 * Counts one more test for the user: true when it is within `max` a window,
 * else false with when the window ends (and nothing counted).
 */
export async function takeTestSendAllowance(
  db: Db,
  userId: string,
  max: number,
  windowMs: number,
  now: number,
): Promise<{ ok: true } | { ok: false; until: number }> {
  const key = countKey(db, userId);
  for (let round = 0; round < 20; round++) {
    const entry = await db.kv.get(key);
    const parsed = Count.safeParse(entry.value);
    const current = parsed.success && now - parsed.data.since < windowMs ? parsed.data : { count: 0, since: now };
    if (current.count >= max) return { ok: false, until: current.since + windowMs };
    const expireIn = Math.max(1, current.since + windowMs - now);
    const next = { count: current.count + 1, since: current.since };
    if ((await db.kv.atomic().check(entry).set(key, next, { expireIn }).commit()).ok) return { ok: true };
  }
  return { ok: false, until: now + windowMs };
}
