/**
 * Processing: a run's recipients are resolved from the message's selection,
 * every merge field is filled for each of them, and one delivery per
 * recipient × device × mode is written; then the run is Sending, with send
 * jobs for the shards of each mode and a finish job. Anything that cannot be filled marks the run
 * Failed before a single delivery goes out.
 */
import { type MergeContext, MergeFieldError, renderMerge } from "../merge.ts";
import { type District, type Mode, MODES, type Run } from "../model.ts";
import { devicesFor, type Recipient, resolveRecipients } from "../recipients.ts";
import { deleteRunDeliveries, type Delivery, shardsOf, stageNewDelivery } from "../store/deliveries.ts";
import { getCalendar, getDistrict, listSchools } from "../store/district.ts";
import type { Versioned } from "../store/kv.ts";
import { getPerson } from "../store/people.ts";
import { getRun, getRunMessage, stageRun } from "../store/runs.ts";
import { fromWall } from "../time.ts";
import { finishCancel } from "./cancel.ts";
import { type DispatchContext, done } from "./context.ts";
import { type Job, newJob, priorityOf, stageJobUpdate, stageNewJob } from "./jobs.ts";
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
function shardJobs(run: Run, deliveries: Delivery[], size: number, now: number): Job[] {
  const jobs: Job[] = [];
  for (const mode of MODES) {
    const ofMode = deliveries.filter((d) => d.mode === mode);
    if (ofMode.length === 0) continue;
    const dueAt = Math.max(now, ...ofMode.map((d) => d.notBefore ?? 0));
    for (const shard of shardsOf(ofMode.map((d) => d.id), size)) {
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
 * once each; then each mode's deliveries are cut into send shards of
 * `shardSize`, their jobs written SHARD_JOBS_PER_COMMIT at a time (KV allows
 * 100 checks a commit), and the run moves to Sending. The job's progress
 * counts both kinds of batch, so a Processing cut off by a crash resumes
 * where it stopped and writes nothing twice.
 */
export async function processRun(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const run = await getRun(db, job.value.runId);
  if (!run) return done(ctx, job);
  if (run.value.status === "canceling") return finishCancel(ctx, run, job);
  if (run.value.status !== "processing") return done(ctx, job);
  let current = job;
  try {
    const { deliveries, excluded } = await plan(ctx, run.value);
    const deliveryBatches = Math.ceil(deliveries.length / BATCH);
    for (let batch = current.value.progress; batch < deliveryBatches; batch++) {
      const op = db.kv.atomic();
      for (const d of deliveries.slice(batch * BATCH, (batch + 1) * BATCH)) stageNewDelivery(op, db, d);
      const next = { ...current.value, progress: batch + 1 };
      stageJobUpdate(op, db, current, next);
      const result = await op.commit();
      if (!result.ok) return; // Lost the job (lease ran out): its new owner carries on.
      current = { value: next, versionstamp: result.versionstamp };
    }
    const now = ctx.clock.now();
    const sendJobs = shardJobs(run.value, deliveries, ctx.shardSize, now);
    for (let k = current.value.progress - deliveryBatches; k * SHARD_JOBS_PER_COMMIT < sendJobs.length; k++) {
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
    stageRun(op, db, latest, { ...transition(latest.value, "sending", now), excluded });
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

/** Everything Processing decides, checked before any delivery is written. */
async function plan(
  ctx: DispatchContext,
  run: Run,
): Promise<{ deliveries: Delivery[]; excluded: NonNullable<Run["excluded"]> }> {
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
  const { recipients } = await resolveRecipients(db, message, calendar);
  const merge = await contexts(ctx, recipients, calendar.schoolId, district);
  const times: Partial<Record<Mode, number>> = {};
  for (const [mode, t] of Object.entries(message.schedule.times) as [Mode, string][]) {
    times[mode] = fromWall(run.occurrenceDate, t, district.timeZone);
  }
  const now = ctx.clock.now();
  const out: Delivery[] = [];
  const excluded: NonNullable<Run["excluded"]> = {};
  const seen = new Set<string>();
  for (const r of recipients) {
    const c = merge.get(r)!;
    for (const field of ["subject", "emailText", "emailHtml", "text", "voice", "inbox"] as const) {
      const text = field === "subject" ? message.subject : message.content[field];
      try {
        renderMerge(text, c);
      } catch (e) {
        if (!(e instanceof MergeFieldError)) throw e;
        throw new Failure(
          `The merge field {{${e.field}}} cannot be filled for ${r.person.firstName} ${r.person.lastName}. ` +
            "Edit the message to remove it, or choose recipients it applies to.",
          "Processing: rendering merge fields",
          `MergeFieldError: ${e.message}`,
        );
      }
    }
    for (const mode of message.modes) {
      const devices = devicesFor(r.person, mode, message.type);
      if (typeof devices === "string") {
        const reach = excluded[mode] ??= { noDevice: 0, optedOut: 0 };
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
        out.push({
          id: `${r.person.id}~${r.studentIds.join("+")}~${device.id}`,
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
          updatedAt: now,
          history: [{ at: now, state: "pending" }],
        });
      }
    }
  }
  return { deliveries: out.sort((a, b) => (a.mode + a.id < b.mode + b.id ? -1 : 1)), excluded };
}

async function contexts(ctx: DispatchContext, recipients: Recipient[], schoolId: string, district: District) {
  const { db } = ctx;
  const school = (await listSchools(db)).find((s) => s.id === schoolId) ?? { id: schoolId, name: "" };
  const students = new Map<string, Awaited<ReturnType<typeof getPerson>>>();
  const out = new Map<Recipient, MergeContext>();
  for (const r of recipients) {
    const theirs = [];
    if (r.person.kind === "student") theirs.push(r.person);
    for (const id of r.studentIds) {
      if (!students.has(id)) students.set(id, await getPerson(db, id));
      const s = students.get(id);
      if (s) theirs.push(s.value);
    }
    out.set(r, { recipient: r.person, students: theirs, school, district });
  }
  return out;
}
