/**
 * Completion: once every delivery of a Sending run is final, the run is
 * Sent (completed) with its counts kept on it, and leaves In Progress for
 * the Sent Message Log.
 */
import type { Run } from "../model.ts";
import { deliveriesOf, type Delivery, runCounts } from "../store/deliveries.ts";
import type { Versioned } from "../store/kv.ts";
import { getRun, stageRun } from "../store/runs.ts";
import { type DispatchContext, done, reschedule } from "./context.ts";
import { type Job, stageJobUpdate } from "./jobs.ts";
import { transition } from "./run_status.ts";

/** Texts and calls wait this long for the provider's final status before "sent" counts as final. */
export const CALLBACK_GRACE_MS = 30 * 60 * 1000;

function isFinal(d: Delivery, now: number): boolean {
  if (d.state === "delivered" || d.state === "failed" || d.state === "canceled") return true;
  if (d.state !== "sent") return false;
  return d.mode === "email" || d.mode === "inbox" || now - d.updatedAt > CALLBACK_GRACE_MS;
}

/** The finish job: looks again every 30 s until nothing is left to hear about. */
export async function finishRun(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const run = await getRun(db, job.value.runId);
  if (!run || run.value.status !== "sending") return done(ctx, job);
  const now = ctx.clock.now();
  for await (const d of deliveriesOf(db, run.value.id)) {
    if (!isFinal(d.value, now)) return reschedule(ctx, job, now + 30_000);
  }
  const counts = await runCounts(db, run.value.id);
  const op = stageJobUpdate(db.kv.atomic(), db, job, null);
  const next: Run = { ...transition(run.value, "completed", now), counts };
  stageRun(op, db, run, next);
  await op.commit();
}
