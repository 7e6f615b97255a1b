/**
 * A provider channel's shared pace across instances: how many starts of
 * each second are taken, and until when a 429 paused the channel.
 */
import type { Db } from "./kv.ts";

const allowanceKey = (db: Db, channel: string, second: number): Deno.KvKey => [
  db.districtId,
  "allowance",
  channel,
  second,
];
const pauseKey = (db: Db, channel: string): Deno.KvKey => [db.districtId, "allowance", channel, "paused_until"];

/**
 * Takes up to `block` of the `perSecond` starts of `second`, in a checked
 * commit retried while other instances take theirs: the places in the
 * second now held (first, first + 1, …), or none when they are all gone.
 */
export async function takeStarts(
  db: Db,
  channel: string,
  second: number,
  perSecond: number,
  block: number,
): Promise<number[]> {
  const key = allowanceKey(db, channel, second);
  for (let attempt = 0; attempt < 50; attempt++) {
    const used = await db.kv.get<number>(key);
    const first = used.value ?? 0;
    const left = perSecond - first;
    if (left <= 0) return [];
    const take = Math.min(block, left);
    const op = db.kv.atomic().check(used).set(key, first + take, { expireIn: 60_000 });
    if ((await op.commit()).ok) return Array.from({ length: take }, (_, i) => first + i);
  }
  return [];
}

/** Until when the channel is paused for every instance; 0 when it is not. */
export async function getPausedUntil(db: Db, channel: string): Promise<number> {
  return (await db.kv.get<number>(pauseKey(db, channel))).value ?? 0;
}

/** Pauses the channel for every instance until `until`, unless a longer pause is already set. */
export async function pauseUntil(db: Db, channel: string, until: number, expireIn: number): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await db.kv.get<number>(pauseKey(db, channel));
    if ((current.value ?? 0) >= until) return;
    const op = db.kv.atomic().check(current).set(pauseKey(db, channel), until, { expireIn });
    if ((await op.commit()).ok) return;
  }
}
