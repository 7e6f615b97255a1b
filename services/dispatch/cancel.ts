/**
 * Cancel Message on a run in progress. The run is Canceling at once and no
 * further delivery starts; the cancel job then stops what has not been sent
 * (at Twilio too), waits up to CANCEL_WAIT_MS for what is under way, and
 * ends the run Canceled with who received it. Canceled while still
 * Processing, nobody received anything, so the run is deleted.
 */
import type { Run } from "../model.ts";
import { advanceDelivery, deleteRunDeliveries, deliveriesOf, moved, runCounts } from "../store/deliveries.ts";
import type { Versioned } from "../store/kv.ts";
import { getRun, stageRun, stageRunMessage } from "../store/runs.ts";
import { type DispatchContext, done, reschedule } from "./context.ts";
import { type Job, jobsOfRun, stageJobUpdate, stageNewJob } from "../store/jobs.ts";
import { newJob, priorityOf } from "./jobs.ts";
import { isCancelable, reachedSending, transition } from "./run_status.ts";

/** How long Canceling waits for providers to confirm before recording what it knows. */
export const CANCEL_WAIT_MS = 5 * 60 * 1000;

/** Cancel Message on a run in progress: Canceling now, the cancel job does the rest. */
export async function requestCancel(ctx: DispatchContext, runId: string, by: string): Promise<Run | null> {
  const { db } = ctx;
  const run = await getRun(db, runId);
  if (!run || !isCancelable(run.value)) return null;
  const now = ctx.clock.now();
  const next = transition(run.value, "canceling", now, by);
  const job = newJob("cancel", runId, now, undefined, { priority: priorityOf(run.value) });
  const op = db.kv.atomic();
  stageRun(op, db, run, next);
  stageNewJob(op, db, job);
  if (!(await op.commit()).ok) return null;
  ctx.enqueue(job.id);
  return next;
}

/** The cancel job of a Canceling run: looks again every 15 s while a provider's answer is awaited. */
export async function cancelRun(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const run = await getRun(db, job.value.runId);
  if (!run || run.value.status !== "canceling") return done(ctx, job);
  if (!reachedSending(run.value)) return finishCancel(ctx, run, job);
  const now = ctx.clock.now();
  let waiting = false;
  for await (const d of deliveriesOf(db, run.value.id)) {
    const v = d.value;
    if (v.state === "pending" || v.state === "redial") {
      const stopped = await advanceDelivery(db, d, moved(v, "canceled", now, "canceled before it was sent"));
      if (!stopped) waiting = true; // A sender took it at this instant: its outcome decides.
    } else if (v.state === "sending" && now - v.updatedAt <= ctx.sendTimeoutMs) {
      waiting = true; // A provider call is in flight: its result decides.
    } else if (v.state === "sending") {
      await advanceDelivery(db, d, moved(v, "failed", now, "cut off by a restart during cancel; may have been sent"));
    } else if (v.state === "sent" && (v.mode === "text" || v.mode === "voice") && v.providerId) {
      const stopped = await ctx.providers.cancel(v.mode, v.providerId).catch(() => false);
      if (stopped) await advanceDelivery(db, d, moved(v, "canceled", now, "canceled at the provider"));
      else if (now - run.value.transitions.at(-1)!.at < CANCEL_WAIT_MS) waiting = true;
    }
  }
  if (waiting) return reschedule(ctx, job, now + 15_000);
  const counts = await runCounts(db, run.value.id);
  const op = stageJobUpdate(db.kv.atomic(), db, job, null);
  stageRun(op, db, run, { ...transition(run.value, "canceled", now), counts });
  await stageOtherJobsDone(ctx, op, job);
  await op.commit();
}

/** Canceled during Processing: nothing left Messenger, so the record goes. */
export async function finishCancel(ctx: DispatchContext, run: Versioned<Run>, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  await deleteRunDeliveries(db, run.value.id);
  const op = stageJobUpdate(db.kv.atomic(), db, job, null);
  stageRun(op, db, run, null);
  stageRunMessage(op, db, run.value.id, null);
  await stageOtherJobsDone(ctx, op, job);
  await op.commit();
}

/** A canceled run's send and finish jobs have nothing left to do. */
async function stageOtherJobsDone(ctx: DispatchContext, op: Deno.AtomicOperation, job: Versioned<Job>) {
  for (const other of await jobsOfRun(ctx.db, job.value.runId)) {
    if (other.value.id !== job.value.id) stageJobUpdate(op, ctx.db, other, null);
  }
}
