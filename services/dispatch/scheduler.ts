/**
 * The scheduler: each tick turns due occurrences into runs in Processing,
 * then every due job goes to the stage of its kind. Jobs are durable KV
 * records with a lease (jobs.ts), so a crash only delays them.
 */
import { type MessageType, type Run } from "../model.ts";
import { occurrences } from "../recurrence.ts";
import { runRosterJob } from "../roster/jobs.ts";
import { getCalendar, getDistrict } from "../store/district.ts";
import { newId, type Versioned } from "../store/kv.ts";
import { dueMessages, getMessage, stageMessage, summarize } from "../store/messages.ts";
import { recordTick } from "../store/dispatch_state.ts";
import { getRun, getRunMessage, stageRun, stageRunMessage } from "../store/runs.ts";
import { toWall } from "../time.ts";
import { cancelRun } from "./cancel.ts";
import { finishRun } from "./completion.ts";
import type { DispatchContext } from "./context.ts";
import { dueJobIds, type Job, stageNewJob } from "../store/jobs.ts";
import { claimJob, newJob, priorityOf } from "./jobs.ts";
import { processRun } from "./processing.ts";
import { started } from "./run_status.ts";
import { sendShard } from "./sending.ts";

const TYPE_ORDER: Record<MessageType, number> = { emergency: 0, priority: 1, general: 2 };

/** Claims every due occurrence (Emergency first), then runs due jobs. */
export async function tick(ctx: DispatchContext): Promise<void> {
  const { db } = ctx;
  const now = ctx.clock.now();
  await recordTick(db, now);
  const due = await dueMessages(db, now);
  due.sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || a.at - b.at);
  for (const d of due) await startOccurrence(ctx, d.id, now);
  await sweep(ctx);
}

/** One message's due occurrence becomes a run in Processing, exactly once. */
export async function startOccurrence(ctx: DispatchContext, messageId: string, now: number): Promise<Run | null> {
  const { db } = ctx;
  const current = await getMessage(db, messageId);
  if (!current || current.value.nextAt === null || current.value.nextAt > now) return null;
  const m = current.value;
  const district = (await getDistrict(db))!;
  const calendar = await getCalendar(db, m.calendarId);
  // A minute back: Send Now's HH:MM is the minute it was pressed.
  const [occurrence] = occurrences(m.schedule, {
    from: m.nextAt! - 60_000,
    limit: 1,
    timeZone: district.timeZone,
    calendar: calendar ?? undefined,
  });
  const lastToday = occurrence ? Math.max(...Object.values(occurrence.times)) : now;
  const nextAt = occurrences(m.schedule, {
    from: Math.max(lastToday, now) + 1,
    limit: 1,
    timeZone: district.timeZone,
    calendar: calendar ?? undefined,
  })[0]?.at ?? null;
  const run: Run = {
    id: newId(),
    messageId: m.id,
    occurrenceDate: occurrence?.date ?? toWall(now, district.timeZone).date,
    message: summarize(m),
    ...started(now),
    counts: {},
    startedAt: now,
  };
  const job = newJob("process", run.id, now, undefined, { priority: priorityOf(run) });
  const op = db.kv.atomic();
  stageMessage(op, db, current, { ...m, nextAt });
  stageRun(op, db, null, run);
  stageRunMessage(op, db, run.id, m);
  stageNewJob(op, db, job);
  if (!(await op.commit()).ok) return null; // Another instance claimed it.
  ctx.enqueue(job.id);
  return run;
}

/**
 * Retry for a Failed run: a new run of the same occurrence from the same
 * content, linked both ways. The message may have been edited since; the
 * retry sends what failed, not the edit.
 */
export async function retry(ctx: DispatchContext, runId: string): Promise<Run | null> {
  const { db } = ctx;
  const failed = await getRun(db, runId);
  if (!failed || failed.value.status !== "failed" || failed.value.retriedBy) return null;
  const content = await getRunMessage(db, runId);
  if (!content) return null;
  const now = ctx.clock.now();
  const run: Run = {
    ...failed.value,
    id: newId(),
    ...started(now),
    error: undefined,
    counts: {},
    startedAt: now,
    retryOf: runId,
    retriedBy: undefined,
  };
  const job = newJob("process", run.id, now, undefined, { priority: priorityOf(run) });
  const op = db.kv.atomic();
  stageRun(op, db, failed, { ...failed.value, retriedBy: run.id });
  stageRun(op, db, null, run);
  stageRunMessage(op, db, run.id, content);
  stageNewJob(op, db, job);
  if (!(await op.commit()).ok) return null;
  ctx.enqueue(job.id);
  return run;
}

/**
 * Runs due jobs, `slots` at a time, always the highest priority next
 * (Emergency before Priority before General, then roster imports), until
 * none is due: the queue listener, the cron and the timer all come here, so
 * an Emergency's shards go ahead of a General run's next shard whoever
 * started the sweep. One sweep per instance at a time. A worker that finds
 * nothing due stops; whenever a job has run (Processing writes a run's
 * shards) or someone asks for a sweep meanwhile, the pool is filled up to
 * `slots` again, so shards written by one worker are taken by all of them.
 */
export function sweep(ctx: DispatchContext): Promise<number> {
  if (ctx.sweeping) {
    ctx.sweeping.wake();
    return ctx.sweeping.run;
  }
  /** Jobs this instance's workers are running now: another worker skips them. */
  const running = new Set<string>();
  let workers = 0;
  let ran = 0;
  let failure: unknown = null;
  const { promise: run, resolve, reject } = Promise.withResolvers<number>();
  const worker = async () => {
    for (let i = 0; i < 100_000; i++) {
      const ids = await dueJobIds(ctx.db, ctx.clock.now(), running.size + ctx.slots);
      const id = ids.find((x) => !running.has(x));
      if (!id) return;
      running.add(id);
      try {
        if (await runJob(ctx, id)) {
          ran++;
          wake();
        }
      } finally {
        running.delete(id);
      }
    }
  };
  const wake = () => {
    for (; workers < ctx.slots; workers++) {
      worker().catch((e) => (failure ??= e)).finally(() => {
        if (--workers > 0) return;
        ctx.sweeping = null;
        if (failure) reject(failure);
        else resolve(ran);
      });
    }
  };
  ctx.sweeping = { run, wake };
  wake();
  return run;
}

/** Runs jobs and ticks until nothing is due (tests and the bench). */
export async function drain(ctx: DispatchContext, maxRounds = 50): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    await tick(ctx);
    await idle(ctx);
    if ((await dueJobIds(ctx.db, ctx.clock.now(), 1)).length === 0) return;
  }
}

/** Roster jobs run beside dispatch (see runJob); this waits for those under way. */
export async function idle(ctx: DispatchContext): Promise<void> {
  while (ctx.background.size > 0) await Promise.all([...ctx.background]);
}

type Stage = (ctx: DispatchContext, job: Versioned<Job>) => Promise<void>;

/** The stage each kind of run job goes to. */
const STAGES: Record<Exclude<Job["kind"], RosterJobKind>, Stage> = {
  process: processRun,
  send: sendShard,
  finish: finishRun,
  cancel: cancelRun,
};

type RosterJobKind = "roster_preview" | "roster_apply";
const isRosterJob = (kind: Job["kind"]): kind is RosterJobKind => kind === "roster_preview" || kind === "roster_apply";

/** Claims one job and hands it to the stage of its kind; false if it was not due or someone else holds it. */
export async function runJob(ctx: DispatchContext, id: string): Promise<boolean> {
  const job = await claimJob(ctx.db, id, ctx.clock.now(), ctx.leaseMs);
  if (!job) return false;
  const { kind, runId } = job.value;
  try {
    if (isRosterJob(kind)) {
      // A large roster takes a minute or more: it must not hold up the sweep
      // (an Emergency message due meanwhile), so it runs beside it, its lease
      // renewed as it goes; a crash leaves the lease to run out and resume.
      const work: Promise<void> = runRosterJob(ctx, job)
        .catch((e) => console.error(`dispatch: ${kind} job ${id} for import ${runId} failed:`, e))
        .finally(() => ctx.background.delete(work));
      ctx.background.add(work);
    } else {
      await STAGES[kind](ctx, job);
    }
  } catch (e) {
    // Unexpected (storage down, a bug): leave the job to be re-driven after its lease.
    console.error(`dispatch: ${kind} job ${id} for run ${runId} failed:`, e);
  }
  return true;
}
