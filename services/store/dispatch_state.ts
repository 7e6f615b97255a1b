/** What dispatch records about itself: when it last looked for work, for /healthz. */
import type { Db } from "./kv.ts";

const lastTickKey = (db: Db): Deno.KvKey => [db.districtId, "dispatch", "last_tick"];

export async function recordTick(db: Db, at: number): Promise<void> {
  await db.kv.set(lastTickKey(db), at);
}

/** When any instance last ticked; null before the first tick. */
export async function getLastTick(db: Db): Promise<number | null> {
  return (await db.kv.get<number>(lastTickKey(db))).value;
}
