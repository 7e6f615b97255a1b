/**
 * Processing: a run's recipients are resolved from the message's selection,
 * every merge field is checked for each of them, and one delivery per
 * recipient × device × mode is written; then the run is Sending, with send
 * jobs for the shards of each mode and a finish job. A field that cannot be
 * filled marks the run Failed before a single delivery goes out.
 */
import { fillable, MergeFieldError, mergeFieldsIn } from "../merge.ts";
import { allTexts } from "../message_language.ts";
import { type Mode, MODES, type Run } from "../model.ts";
import { devicesFor, eachRecipient } from "../recipients.ts";
import { deleteRunDeliveries, type Delivery, shardsOf, stageNewDelivery } from "../store/deliveries.ts";
import { getCalendar, getDistrict } from "../store/district.ts";
import type { Versioned } from "../store/kv.ts";
import { getRun, getRunMessage, stageRun } from "../store/runs.ts";
import { fromWall } from "../time.ts";
import { finishCancel } from "./cancel.ts";
import { type DispatchContext, done } from "./context.ts";
import { type Job, stageJobUpdate, stageNewJob } from "../store/jobs.ts";
import { newJob, priorityOf } from "./jobs.ts";
import { copyLanguages } from "./language.ts";
import { transition } from "./run_status.ts";

/**
 * Processing that throws something other than a Failure (a bug, a record
 * that no longer reads) is tried again after each lease this many times in
 * all, then its run is Failed: it would otherwise stay Processing for ever.
 */
export const PROCESS_ATTEMPTS = 3;
const BATCH = 250;
/** A shard job is three writes and a check: 30 a commit stays well inside KV's 100 checks and 1,000 writes. */
const SHARD_JOBS_PER_COMMIT = 30;

/** One send job per shard of each mode, due at that mode's delivery time. */
function shardJobs(run: Run, planned: Planned, size: number, now: number): Job[] {
  const jobs: Job[] = [];
  for (const mode of MODES) {
    const ids = planned.idsByMode[mode];
    if (!ids?.length) continue;
    const dueAt = Math.max(now, planned.times[mode] ?? 0);
    for (const shard of shardsOf(ids.sort(), size)) {
      jobs.push(newJob("send", run.id, dueAt, mode, { priority: priorityOf(run), shard }));
    }
  }
  return jobs;
}

/** A reason Processing can name: the run is Failed with it, for support to act on. */
class Failure extends Error {
  constructor(readonly reason: string, readonly stage: string, readonly detail: string) {
    super(reason);
  }
}

/**
 * Recipients → per-device deliveries, written in batches of BATCH exactly
 * once each as the recipients are read (a district's roster is never held
 * whole); then each mode's deliveries are cut into send shards of
 * `shardSize`, their jobs written SHARD_JOBS_PER_COMMIT at a time (KV allows
 * 100 checks a commit), and the run moves to Sending. The job's progress
 * counts both kinds of batch, so a Processing cut off by a crash plans again
 * from the start, writes only the batches not yet written, and writes
 * nothing twice. A recipient whose merge fields cannot be filled fails the
 * run and deletes what was written: no send job exists yet, so nothing went
 * out.
 */
export async function processRun(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const run = await getRun(db, job.value.runId);
  if (!run) return done(ctx, job);
  if (run.value.status === "canceling") return finishCancel(ctx, run, job);
  if (run.value.status !== "processing") return done(ctx, job);
  let current = job;
  try {
    let batch = 0;
    const writeBatch = async (deliveries: Delivery[]) => {
      if (batch++ < current.value.progress) return true; // Written before a crash.
      const op = db.kv.atomic();
      for (const d of deliveries) stageNewDelivery(op, db, d);
      const next = { ...current.value, progress: batch };
      stageJobUpdate(op, db, current, next);
      const result = await op.commit();
      if (result.ok) current = { value: next, versionstamp: result.versionstamp };
      return result.ok;
    };
    const planned = await plan(ctx, run.value, writeBatch);
    if (!planned) return; // Lost the job (lease ran out): its new owner carries on.
    const now = ctx.clock.now();
    const sendJobs = shardJobs(run.value, planned, ctx.shardSize, now);
    for (let k = current.value.progress - batch; k * SHARD_JOBS_PER_COMMIT < sendJobs.length; k++) {
      const op = db.kv.atomic();
      for (const j of sendJobs.slice(k * SHARD_JOBS_PER_COMMIT, (k + 1) * SHARD_JOBS_PER_COMMIT)) {
        stageNewJob(op, db, j);
      }
      const next = { ...current.value, progress: current.value.progress + 1 };
      stageJobUpdate(op, db, current, next);
      const result = await op.commit();
      if (!result.ok) return;
      current = { value: next, versionstamp: result.versionstamp };
    }
    const latest = await getRun(db, run.value.id);
    if (!latest || latest.value.status !== "processing") {
      if (latest?.value.status === "canceling") return finishCancel(ctx, latest, current);
      return done(ctx, current);
    }
    const op = stageJobUpdate(db.kv.atomic(), db, current, null);
    stageRun(op, db, latest, { ...transition(latest.value, "sending", now), excluded: planned.excluded });
    stageNewJob(op, db, newJob("finish", run.value.id, now, undefined, { priority: priorityOf(run.value) }));
    if ((await op.commit()).ok) {
      // Shard jobs written before a crash have other ids than these: the sweep finds them all the same.
      for (const j of sendJobs) if (j.dueAt <= now) ctx.enqueue(j.id);
    }
  } catch (e) {
    if (e instanceof Failure) return fail(ctx, run, e, current);
    if (current.value.attempts < PROCESS_ATTEMPTS) throw e;
    console.error(`dispatch: Processing run ${run.value.id} threw ${PROCESS_ATTEMPTS} times; it is Failed:`, e);
    const error = e instanceof Error ? e : new Error(String(e));
    return fail(
      ctx,
      run,
      new Failure(
        `Processing stopped after ${PROCESS_ATTEMPTS} attempts on an unexpected error, and nothing was sent. ` +
          "Retry the message; if it fails again, give support the Message ID.",
        "Processing",
        `${error.name}: ${error.message}`.slice(0, 1000),
      ),
      current,
    );
  }
}

async function fail(ctx: DispatchContext, run: Versioned<Run>, f: Failure, job: Versioned<Job>) {
  const { db } = ctx;
  const next: Run = {
    ...transition(run.value, "failed", ctx.clock.now()),
    error: { reason: f.reason, stage: f.stage, detail: f.detail },
  };
  const op = stageJobUpdate(db.kv.atomic(), db, job, null);
  stageRun(op, db, run, next);
  // Batches written before the failure would otherwise show as pending on a run that sends nothing.
  if ((await op.commit()).ok) await deleteRunDeliveries(db, run.value.id);
}

/** What Processing keeps of the deliveries it wrote: their ids, to cut shards from, and who was left out. */
interface Planned {
  idsByMode: Partial<Record<Mode, string[]>>;
  times: Partial<Record<Mode, number>>;
  excluded: NonNullable<Run["excluded"]>;
}

/**
 * Every delivery of the run, handed to `write` BATCH at a time in the same
 * order on every attempt. Returns null when a write lost the job.
 */
async function plan(
  ctx: DispatchContext,
  run: Run,
  write: (deliveries: Delivery[]) => Promise<boolean>,
): Promise<Planned | null> {
  const { db } = ctx;
  const message = await getRunMessage(db, run.id);
  if (!message) throw new Failure("The message's content was not found.", "Processing: loading the message", "");
  const calendar = await getCalendar(db, message.calendarId);
  if (!calendar) {
    throw new Failure(
      "The calendar this message was created under no longer exists, so its recipients cannot be found. " +
        "Edit the message, choose a calendar, and send it again.",
      "Processing: resolving recipients",
      `NotFoundError: calendar ${message.calendarId}`,
    );
  }
  const district = (await getDistrict(db))!;
  const times: Partial<Record<Mode, number>> = {};
  for (const [mode, t] of Object.entries(message.schedule.times) as [Mode, string][]) {
    times[mode] = fromWall(run.occurrenceDate, t, district.timeZone);
  }
  // Whether a recipient's fields can be filled depends only on whether the copy is about a student: the
  // values themselves are filled at sending, so Processing reads no student's record.
  const fields = mergeFieldsIn(allTexts(message).join("\n"));
  const languageOf = copyLanguages(message, district.language);
  const now = ctx.clock.now();
  const planned: Planned = { idsByMode: {}, times, excluded: {} };
  const seen = new Set<string>();
  let pending: Delivery[] = [];
  for await (const r of eachRecipient(db, message, calendar)) {
    const unfilled = fields.find((f) => !fillable(f, r.person.kind === "student" || r.studentIds.length > 0));
    if (unfilled !== undefined) {
      throw new Failure(
        `The merge field {{${unfilled}}} cannot be filled for ${r.person.firstName} ${r.person.lastName}. ` +
          "Edit the message to remove it, or choose recipients it applies to.",
        "Processing: rendering merge fields",
        `MergeFieldError: ${new MergeFieldError(unfilled, r.person.id).message}`,
      );
    }
    for (const mode of message.modes) {
      const devices = devicesFor(r.person, mode, message.type);
      if (typeof devices === "string") {
        const reach = planned.excluded[mode] ??= { noDevice: 0, optedOut: 0 };
        reach[devices]++;
        continue;
      }
      const targets = mode === "inbox" ? [{ id: "inbox", address: r.person.id }] : devices;
      for (const device of targets) {
        // One copy per address and mode: two guardians sharing a family phone get one call, not two
        // (without the contacts limit, one per student, since each copy is about a different child).
        const copy = `${mode}|${device.address.toLowerCase()}|${
          message.recipients.oneCopyPerGuardian ? "" : r.studentIds
        }`;
        if (seen.has(copy)) continue;
        seen.add(copy);
        const id = `${r.person.id}~${r.studentIds.join("+")}~${device.id}`;
        (planned.idsByMode[mode] ??= []).push(id);
        const { language, note } = languageOf(mode, r.person.language);
        pending.push({
          id,
          runId: run.id,
          mode,
          personId: r.person.id,
          name: `${r.person.firstName} ${r.person.lastName}`,
          as: r.as,
          studentIds: r.studentIds,
          deviceId: device.id,
          address: device.address,
          state: "pending",
          attempts: 0,
          notBefore: times[mode],
          language,
          ...(note ? { languageNote: note } : {}),
          updatedAt: now,
          history: [note ? { at: now, state: "pending", detail: note } : { at: now, state: "pending" }],
        });
        if (pending.length === BATCH) {
          if (!(await write(pending))) return null;
          pending = [];
        }
      }
    }
  }
  if (pending.length > 0 && !(await write(pending))) return null;
  return planned;
}
