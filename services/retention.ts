/**
 * Retention: runs (with their deliveries, counters, content copy and the
 * families' inbox entries) that finished or failed longer ago than the
 * district keeps them are deleted, in commits within KV's limits, by a
 * daily cron.
 */
import { deleteRunDeliveries } from "./store/deliveries.ts";
import { deleteRunInboxEntries } from "./store/inbox.ts";
import type { Db } from "./store/kv.ts";
import { failedAt } from "./dispatch/run_status.ts";
import { activeRunsStartedBefore, getRun, runsFinishedBefore, stageRun, stageRunMessage } from "./store/runs.ts";

/** Two school years. */
export const DEFAULT_RETENTION_DAYS = 730;

async function deleteRun(db: Db, id: string): Promise<boolean> {
  const run = await getRun(db, id);
  if (!run) return false;
  await deleteRunInboxEntries(db, id);
  await deleteRunDeliveries(db, id);
  const op = stageRunMessage(stageRun(db.kv.atomic(), db, run, null), db, id, null);
  return (await op.commit()).ok;
}

export async function enforceRetention(db: Db, now: number, keepDays: number): Promise<{ deleted: number }> {
  const cutoff = now - keepDays * 86_400_000;
  const ids: string[] = [];
  for await (const r of runsFinishedBefore(db, cutoff)) ids.push(r.id);
  // Failed runs stay on the In Progress index; only those that failed before the cutoff go.
  for await (const r of activeRunsStartedBefore(db, cutoff)) {
    const at = failedAt(r);
    if (at !== undefined && at < cutoff) ids.push(r.id);
  }
  let deleted = 0;
  for (const id of ids) if (await deleteRun(db, id)) deleted++;
  return { deleted };
}
