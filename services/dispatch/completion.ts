/**
 * Completion: once every delivery of a Sending run is final, the run is
 * Sent (completed) with its counts kept on it, and leaves In Progress for
 * the Sent Message Log.
 */
import type { Mode, ModeCounts, Run } from "../model.ts";
import { deliveriesOf, type Delivery, runCounts } from "../store/deliveries.ts";
import type { Versioned } from "../store/kv.ts";
import { getRun, stageRun } from "../store/runs.ts";
import { type DispatchContext, done, reschedule } from "./context.ts";
import { type Job, stageJobUpdate } from "../store/jobs.ts";
import { transition } from "./run_status.ts";

/**
 * Whether a delivery's outcome is known. "sent" is final at once for an
 * inbox message and for email the provider reports nothing more about
 * (SMTP); texts, calls and Mailgun's emails wait for the provider's word,
 * STATUS_WAIT_MINUTES at most.
 */
function isFinal(ctx: DispatchContext, d: Delivery, now: number): boolean {
  if (d.state === "delivered" || d.state === "failed" || d.state === "canceled") return true;
  if (d.state !== "sent") return false;
  return !awaitsProviderWord(ctx, d.mode) || now - d.updatedAt > ctx.statusWaitMs;
}

function awaitsProviderWord(ctx: DispatchContext, mode: Mode): boolean {
  return mode === "text" || mode === "voice" || (mode === "email" && ctx.providers.emailEvents === true);
}

/**
 * The finish job: looks again every 30 s until nothing is left to hear
 * about. The run's counters answer first (a few keys, however large the
 * run); only deliveries counted "sent" that wait for the provider's word
 * are read one by one, to see whether their wait is over.
 */
export async function finishRun(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const run = await getRun(db, job.value.runId);
  if (!run || run.value.status !== "sending") return done(ctx, job);
  const now = ctx.clock.now();
  const counts = await runCounts(db, run.value.id);
  for (const [mode, c] of Object.entries(counts) as [Mode, ModeCounts][]) {
    if ((c.pending ?? 0) > 0 || (c.redial ?? 0) > 0) return reschedule(ctx, job, now + 30_000);
    if ((c.sent ?? 0) === 0 || !awaitsProviderWord(ctx, mode)) continue;
    for await (const d of deliveriesOf(db, run.value.id, mode)) {
      if (!isFinal(ctx, d.value, now)) return reschedule(ctx, job, now + 30_000);
    }
  }
  const op = stageJobUpdate(db.kv.atomic(), db, job, null);
  const next: Run = { ...transition(run.value, "completed", now), counts };
  stageRun(op, db, run, next);
  await op.commit();
}
