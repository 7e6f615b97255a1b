/** Pruning old roster imports, run by the daily retention cron. */
import type { Db } from "../store/kv.ts";
import { deleteImport, eachImport, lastAppliedImport } from "../store/roster_imports.ts";

/** Imports are kept this long (their summary and problem rows), then pruned. */
export const KEEP_IMPORTS_DAYS = 180;

/** Deletes finished imports older than `keepDays`, with their problem rows; the last applied one always stays. */
export async function pruneImports(db: Db, now: number, keepDays = KEEP_IMPORTS_DAYS): Promise<number> {
  const cutoff = new Date(now - keepDays * 86_400_000).toISOString();
  const last = await lastAppliedImport(db);
  let pruned = 0;
  for await (const entry of eachImport(db)) {
    const i = entry.value;
    if (i.created.at >= cutoff || i.id === last || i.status === "previewing" || i.status === "applying") continue;
    await deleteImport(db, entry);
    pruned++;
  }
  return pruned;
}
