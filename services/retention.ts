/**
 * Retention: runs (with their deliveries, counters and content copy) that
 * finished or failed longer ago than the district keeps them are deleted,
 * in commits within KV's limits, by a daily cron.
 */
import { Run } from "./model.ts";
import { deleteRunDeliveries } from "./store/deliveries.ts";
import type { Db } from "./store/kv.ts";
import { failedAt } from "./dispatch/run_status.ts";
import { activeIndex, doneIndex, getRun, runMessageKey, stageRun } from "./store/runs.ts";

/** Two school years. */
export const DEFAULT_RETENTION_DAYS = 730;

async function* olderThan(db: Db, prefix: Deno.KvKey, cutoff: number): AsyncGenerator<Run> {
  for await (const e of db.kv.list({ start: [...prefix, 0], end: [...prefix, cutoff] }, { batchSize: 200 })) {
    yield Run.parse(e.value);
  }
}

async function deleteRun(db: Db, id: string): Promise<boolean> {
  const run = await getRun(db, id);
  if (!run) return false;
  await deleteRunDeliveries(db, id);
  const op = stageRun(db.kv.atomic(), db, run, null).delete(runMessageKey(db, id));
  return (await op.commit()).ok;
}

export async function enforceRetention(db: Db, now: number, keepDays: number): Promise<{ deleted: number }> {
  const cutoff = now - keepDays * 86_400_000;
  const ids: string[] = [];
  for await (const r of olderThan(db, doneIndex.all(db), cutoff)) ids.push(r.id);
  // Failed runs stay on the In Progress index; only those that failed before the cutoff go.
  for await (const r of olderThan(db, activeIndex.all(db), cutoff)) {
    const at = failedAt(r);
    if (at !== undefined && at < cutoff) ids.push(r.id);
  }
  let deleted = 0;
  for (const id of ids) if (await deleteRun(db, id)) deleted++;
  return { deleted };
}
