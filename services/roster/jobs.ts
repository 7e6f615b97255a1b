/**
 * Roster imports as dispatch jobs (roster_preview, roster_apply): durable,
 * leased and re-driven by the sweep like a run's jobs, so a crash resumes the
 * preview or the apply where it stopped.
 */
import type { Stamp } from "../model.ts";
import type { Versioned } from "../store/kv.ts";
import { type DispatchContext, done } from "../dispatch/context.ts";
import { newJob, renewLease } from "../dispatch/jobs.ts";
import { type Job, stageNewJob } from "../store/jobs.ts";
import { applyImport, startApply, type StartResult } from "./apply.ts";
import { failImport } from "./import.ts";
import { LeaseLost } from "./lease.ts";
import { buildPreview } from "./preview.ts";

/** A roster job that threw this many times marks its import failed instead of trying again. */
const ROSTER_ATTEMPTS = 3;

/** Starts building a roster import's preview. */
export async function previewRoster(ctx: DispatchContext, importId: string): Promise<void> {
  const job = newJob("roster_preview", importId, ctx.clock.now());
  await stageNewJob(ctx.db.kv.atomic(), ctx.db, job).commit();
  ctx.enqueue(job.id);
}

/** Confirms a previewed roster import: it is applied by a job, in batches. */
export async function applyRoster(
  ctx: DispatchContext,
  importId: string,
  by: Stamp,
  skipProblems: boolean,
): Promise<StartResult> {
  const job = newJob("roster_apply", importId, ctx.clock.now());
  const result = await startApply(ctx.db, importId, by, { skipProblems }, (op) => stageNewJob(op, ctx.db, job));
  if (result === "started") ctx.enqueue(job.id);
  return result;
}

export async function runRosterJob(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const id = job.value.runId;
  const now = () => ctx.clock.now();
  const iso = () => new Date(now()).toISOString();
  // Preview and apply renew the lease as they go: once it ran out, the sweep would start the same work beside them.
  let held = job;
  let renewedAt = now();
  const renew = async (progress: number) => {
    const renewed = await renewLease(db, { ...held, value: { ...held.value, progress } }, now(), ctx.leaseMs);
    if (renewed) [held, renewedAt] = [renewed, now()];
    return renewed !== null;
  };
  try {
    // Attempts that never reached the catch below died with the process (out of memory, say): a fourth would too.
    if (job.value.attempts > ROSTER_ATTEMPTS) {
      throw new Error(`it did not finish in ${ROSTER_ATTEMPTS} attempts; the server stopped while working on it`);
    }
    if (job.value.kind === "roster_preview") {
      await buildPreview(db, id, {
        country: ctx.options.phoneCountry,
        onSlice: () => now() - renewedAt < ctx.leaseMs / 4 ? Promise.resolve(true) : renew(0),
      });
    } else {
      await applyImport(db, id, iso, job.value.progress, renew);
    }
  } catch (e) {
    if (e instanceof LeaseLost) return;
    if (held.value.attempts < ROSTER_ATTEMPTS) throw e;
    await failImport(
      db,
      id,
      `${job.value.kind === "roster_preview" ? "Preview" : "Apply"} stopped: ${(e as Error).message}`,
    );
  }
  await done(ctx, held);
}
