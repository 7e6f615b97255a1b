/**
 * Dispatch: the scheduler tick, Processing, Sending, completion and
 * cancel, as idempotent job handlers over KV records (see jobs.ts and
 * DESIGN.md "Dispatch").
 *
 * Duplicate bound: a delivery is claimed (pending → sending, checked) before
 * its one provider call and recorded after it. A crash between the two
 * leaves it "sending"; after SEND_TIMEOUT_MS it is sent again, because we
 * cannot know whether the provider got it. So a crash can duplicate at most
 * the deliveries in flight at that moment: at most SEND_CONCURRENCY per
 * running send job, each at most once per crash. Nothing else is ever sent
 * twice, and nothing is lost: every claimed-but-unrecorded delivery is
 * retried.
 */
import { escapeHtml, type MergeContext, MergeFieldError, renderMerge } from "../merge.ts";
import { type District, type Message, type MessageType, type Mode, type Person, type Run } from "../model.ts";
import { devicesFor, type Recipient, resolveRecipients } from "../recipients.ts";
import { occurrences } from "../recurrence.ts";
import { attachmentStream } from "../store/attachments.ts";
import { getCalendar, getDistrict, listSchools } from "../store/district.ts";
import type { Db, Versioned } from "../store/kv.ts";
import { getMessage, stageMessage, summarize } from "../store/messages.ts";
import { getPeople, getPerson, setTextOptOut } from "../store/people.ts";
import { getRun, stageRun } from "../store/runs.ts";
import {
  advanceDelivery,
  deleteRunDeliveries,
  deliveriesOf,
  type Delivery,
  getDelivery,
  moved,
  runCounts,
  stageNewDelivery,
} from "../store/deliveries.ts";
import { type Clock, fromWall, toWall } from "../time.ts";
import { type Accepted, ProviderError, type Providers } from "../providers/types.ts";
import {
  claimJob,
  dueJobIds,
  type Job,
  jobsOfRun,
  LEASE_MS,
  newJob,
  renewLease,
  stageJobUpdate,
  stageNewJob,
} from "./jobs.ts";
import { Message as MessageSchema } from "../model.ts";
import { newId } from "../store/kv.ts";
import type { Stamp } from "../model.ts";
import type { CountryCode } from "libphonenumber-js";
import { applyImport, buildPreview, failImport, LeaseLost, startApply, type StartResult } from "../roster/import.ts";

export const SEND_CONCURRENCY = 8;
/** A delivery left "sending" this long was cut off by a crash: send it again. */
export const SEND_TIMEOUT_MS = 5 * 60 * 1000;
export const MAX_ATTEMPTS = 5;
/**
 * Processing that throws something other than a Failure (a bug, a record
 * that no longer reads) is tried again after each lease this many times in
 * all, then its run is Failed: it would otherwise stay Processing for ever.
 */
export const PROCESS_ATTEMPTS = 3;
/** Texts and calls wait this long for the provider's final status before "sent" counts as final. */
export const CALLBACK_GRACE_MS = 30 * 60 * 1000;
const BATCH = 250;
const TYPE_ORDER: Record<MessageType, number> = { emergency: 0, priority: 1, general: 2 };

export interface DispatchOptions {
  db: Db;
  clock: Clock;
  providers: Providers;
  /** Base URL providers call back (status callbacks). */
  publicUrl: string;
  /** Starts a job now where KV queues exist; the sweep covers the rest. */
  enqueue?: (jobId: string) => void;
  /** Lease on a claimed job, and how long a delivery may stay "sending" before a crash is assumed. */
  timing?: { leaseMs: number; sendTimeoutMs: number };
  /** Busy / no-answer calls: how many calls in all, and how long between them. */
  redial?: { attempts: number; intervalMs: number };
  /** Phone numbers in a roster without a country code are read as this country's. */
  phoneCountry?: CountryCode;
}

/** A roster job that threw this many times marks its import failed instead of trying again. */
const ROSTER_ATTEMPTS = 3;

export const DEFAULT_REDIAL = { attempts: 3, intervalMs: 10 * 60 * 1000 };

/** Twilio statuses in the order they happen: a late, earlier one never undoes a later one. */
const TEXT_STATUS: Record<string, "sent" | "delivered" | "failed" | "canceled" | undefined> = {
  sent: "sent",
  delivered: "delivered",
  undelivered: "failed",
  failed: "failed",
  canceled: "canceled",
};
/** A provider's words as keys: only our own entries, never Object.prototype's ("constructor"). */
function lookUp<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A provider error code in plain words, for support and the Recipient Report. */
export function errorMeaning(code: string): string | undefined {
  return lookUp(ERROR_MEANING, code);
}

const ERROR_MEANING: Record<string, string> = {
  "21610": "recipient replied STOP",
  "21211": "not a valid phone number",
  "30003": "phone unreachable",
  "30005": "unknown or inactive number",
  "30006": "landline or unreachable carrier",
  "550": "the mail server says the address does not exist",
  "429": "the provider asked us to slow down",
  "20429": "the provider asked us to slow down",
};

class Failure extends Error {
  constructor(readonly reason: string, readonly stage: string, readonly detail: string) {
    super(reason);
  }
}

const earlyKey = (db: Db, ref: { runId: string; mode: Mode; id: string }): Deno.KvKey => [
  db.districtId,
  "early_status",
  ref.runId,
  ref.mode,
  ref.id,
];
export const lastTickKey = (db: Db): Deno.KvKey => [db.districtId, "dispatch", "last_tick"];
/** The content a run sends: a copy taken when it started, so later edits do not change it. */
export const runMessageKey = (db: Db, runId: string): Deno.KvKey => [db.districtId, "run_message", runId];

function backoff(attempts: number, retryAfter?: number): number {
  return Math.max((retryAfter ?? 0) * 1000, Math.min(30 * 60_000, 15_000 * 2 ** (attempts - 1)));
}

export class Dispatcher {
  constructor(private o: DispatchOptions) {}

  private get db() {
    return this.o.db;
  }
  private readonly background = new Set<Promise<void>>();

  private get leaseMs() {
    return this.o.timing?.leaseMs ?? LEASE_MS;
  }
  private get sendTimeoutMs() {
    return this.o.timing?.sendTimeoutMs ?? SEND_TIMEOUT_MS;
  }
  private now() {
    return this.o.clock.now();
  }

  // ---- Scheduler -----------------------------------------------------------

  /** Claims every due occurrence (Emergency first), then runs due jobs. */
  async tick(): Promise<void> {
    const now = this.now();
    await this.db.kv.set(lastTickKey(this.db), now);
    const due: { at: number; id: string; type: MessageType }[] = [];
    const iter = this.db.kv.list<{ type: MessageType }>({
      start: [this.db.districtId, "msg_next"],
      end: [this.db.districtId, "msg_next", now + 1],
    }, { limit: 500 });
    for await (const e of iter) due.push({ at: e.key[2] as number, id: e.key[3] as string, type: e.value.type });
    due.sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || a.at - b.at);
    for (const d of due) await this.startOccurrence(d.id, now);
    await this.sweep();
  }

  /** One message's due occurrence becomes a run in Processing, exactly once. */
  async startOccurrence(messageId: string, now: number): Promise<Run | null> {
    const current = await getMessage(this.db, messageId);
    if (!current || current.value.nextAt === null || current.value.nextAt > now) return null;
    const m = current.value;
    const district = (await getDistrict(this.db))!;
    const calendar = await getCalendar(this.db, m.calendarId);
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
      status: "processing",
      counts: {},
      transitions: [{ status: "processing", at: now }],
      startedAt: now,
    };
    const job = newJob("process", run.id, now);
    const op = this.db.kv.atomic();
    stageMessage(op, this.db, current, { ...m, nextAt });
    stageRun(op, this.db, null, run);
    op.set(runMessageKey(this.db, run.id), MessageSchema.parse(m));
    stageNewJob(op, this.db, job);
    if (!(await op.commit()).ok) return null; // Another instance claimed it.
    this.o.enqueue?.(job.id);
    return run;
  }

  /**
   * Retry for a Failed run: a new run of the same occurrence from the same
   * content, linked both ways. The message may have been edited since; the
   * retry sends what failed, not the edit.
   */
  async retry(runId: string): Promise<Run | null> {
    const failed = await getRun(this.db, runId);
    if (!failed || failed.value.status !== "failed" || failed.value.retriedBy) return null;
    const content = await this.db.kv.get(runMessageKey(this.db, runId));
    if (!content.value) return null;
    const now = this.now();
    const run: Run = {
      ...failed.value,
      id: newId(),
      status: "processing",
      error: undefined,
      counts: {},
      transitions: [{ status: "processing", at: now }],
      startedAt: now,
      retryOf: runId,
      retriedBy: undefined,
    };
    const job = newJob("process", run.id, now);
    const op = this.db.kv.atomic();
    stageRun(op, this.db, failed, { ...failed.value, retriedBy: run.id });
    stageRun(op, this.db, null, run);
    op.set(runMessageKey(this.db, run.id), content.value);
    stageNewJob(op, this.db, job);
    if (!(await op.commit()).ok) return null;
    this.o.enqueue?.(job.id);
    return run;
  }

  /** Runs every due job: the fallback where queues are off, and the crash re-drive. */
  async sweep(): Promise<number> {
    let ran = 0;
    for (const id of await dueJobIds(this.db, this.now())) if (await this.runJob(id)) ran++;
    return ran;
  }

  /** Runs jobs and ticks until nothing is due (tests and the bench). */
  async drain(maxRounds = 50): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      await this.tick();
      await this.idle();
      if ((await dueJobIds(this.db, this.now(), 1)).length === 0) return;
    }
  }

  /** Roster jobs run beside dispatch (see runJob); this waits for those under way. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  async runJob(id: string): Promise<boolean> {
    const job = await claimJob(this.db, id, this.now(), this.leaseMs);
    if (!job) return false;
    try {
      switch (job.value.kind) {
        case "process":
          await this.process(job);
          break;
        case "send":
          await this.send(job);
          break;
        case "finish":
          await this.finish(job);
          break;
        case "cancel":
          await this.cancel(job);
          break;
        case "roster_preview":
        case "roster_apply": {
          // A large roster takes a minute or more: it must not hold up the sweep
          // (an Emergency message due meanwhile), so it runs beside it, its lease
          // renewed as it goes; a crash leaves the lease to run out and resume.
          const work: Promise<void> = this.roster(job)
            .catch((e) =>
              console.error(`dispatch: ${job.value.kind} job ${id} for import ${job.value.runId} failed:`, e)
            )
            .finally(() => this.background.delete(work));
          this.background.add(work);
          break;
        }
      }
    } catch (e) {
      // Unexpected (storage down, a bug): leave the job to be re-driven after its lease.
      console.error(`dispatch: ${job.value.kind} job ${id} for run ${job.value.runId} failed:`, e);
    }
    return true;
  }

  // ---- Roster imports ------------------------------------------------------

  /** Starts building a roster import's preview. */
  async previewRoster(importId: string): Promise<void> {
    const job = newJob("roster_preview", importId, this.now());
    await stageNewJob(this.db.kv.atomic(), this.db, job).commit();
    this.o.enqueue?.(job.id);
  }

  /** Confirms a previewed roster import: it is applied by a job, in batches. */
  async applyRoster(importId: string, by: Stamp, skipProblems: boolean): Promise<StartResult> {
    const job = newJob("roster_apply", importId, this.now());
    const result = await startApply(this.db, importId, by, { skipProblems }, (op) => stageNewJob(op, this.db, job));
    if (result === "started") this.o.enqueue?.(job.id);
    return result;
  }

  private async roster(job: Versioned<Job>) {
    const id = job.value.runId;
    const iso = () => new Date(this.now()).toISOString();
    // Preview and apply renew the lease as they go: once it ran out, the sweep would start the same work beside them.
    let held = job;
    let renewedAt = this.now();
    const renew = async (progress: number) => {
      const renewed = await renewLease(
        this.db,
        { ...held, value: { ...held.value, progress } },
        this.now(),
        this.leaseMs,
      );
      if (renewed) [held, renewedAt] = [renewed, this.now()];
      return renewed !== null;
    };
    try {
      // Attempts that never reached the catch below died with the process (out of memory, say): a fourth would too.
      if (job.value.attempts > ROSTER_ATTEMPTS) {
        throw new Error(`it did not finish in ${ROSTER_ATTEMPTS} attempts; the server stopped while working on it`);
      }
      if (job.value.kind === "roster_preview") {
        await buildPreview(this.db, id, {
          country: this.o.phoneCountry,
          onSlice: () => this.now() - renewedAt < this.leaseMs / 4 ? Promise.resolve(true) : renew(0),
        });
      } else {
        await applyImport(this.db, id, iso, job.value.progress, renew);
      }
    } catch (e) {
      if (e instanceof LeaseLost) return;
      if (held.value.attempts < ROSTER_ATTEMPTS) throw e;
      await failImport(
        this.db,
        id,
        `${job.value.kind === "roster_preview" ? "Preview" : "Apply"} stopped: ${(e as Error).message}`,
      );
    }
    await this.done(held);
  }

  private async reschedule(job: Versioned<Job>, dueAt: number, extra: Partial<Job> = {}) {
    const next = { ...job.value, ...extra, dueAt, leaseUntil: undefined };
    await stageJobUpdate(this.db.kv.atomic(), this.db, job, next).commit();
    if (dueAt <= this.now()) this.o.enqueue?.(job.value.id);
  }

  /** Brings a run's waiting job of this kind forward to now (it may have rescheduled itself). */
  private async nudge(runId: string, kind: Job["kind"]) {
    for (const job of await jobsOfRun(this.db, runId)) {
      if (job.value.kind !== kind || job.value.leaseUntil) continue;
      await this.reschedule(job, this.now());
    }
  }

  private async done(job: Versioned<Job>) {
    await stageJobUpdate(this.db.kv.atomic(), this.db, job, null).commit();
  }

  private async runMessage(runId: string): Promise<Message | null> {
    const e = await this.db.kv.get(runMessageKey(this.db, runId));
    return e.value ? MessageSchema.parse(e.value) : null;
  }

  // ---- Processing ----------------------------------------------------------

  private async fail(run: Versioned<Run>, f: Failure, job: Versioned<Job>) {
    const next: Run = {
      ...run.value,
      status: "failed",
      error: { reason: f.reason, stage: f.stage, detail: f.detail },
      transitions: [...run.value.transitions, { status: "failed", at: this.now() }],
    };
    const op = stageJobUpdate(this.db.kv.atomic(), this.db, job, null);
    stageRun(op, this.db, run, next);
    // Batches written before the failure would otherwise show as pending on a run that sends nothing.
    if ((await op.commit()).ok) await deleteRunDeliveries(this.db, run.value.id);
  }

  /** Recipients → per-device deliveries, written in batches of BATCH exactly once each. */
  private async process(job: Versioned<Job>) {
    const run = await getRun(this.db, job.value.runId);
    if (!run) return this.done(job);
    if (run.value.status === "canceling") return this.finishCancel(run, job);
    if (run.value.status !== "processing") return this.done(job);
    let current = job;
    try {
      const { deliveries, excluded } = await this.plan(run.value);
      for (let batch = current.value.progress; batch * BATCH < deliveries.length; batch++) {
        const op = this.db.kv.atomic();
        for (const d of deliveries.slice(batch * BATCH, (batch + 1) * BATCH)) stageNewDelivery(op, this.db, d);
        const next = { ...current.value, progress: batch + 1 };
        stageJobUpdate(op, this.db, current, next);
        const result = await op.commit();
        if (!result.ok) return; // Lost the job (lease ran out): its new owner carries on.
        current = { value: next, versionstamp: result.versionstamp };
      }
      const latest = await getRun(this.db, run.value.id);
      if (!latest || latest.value.status !== "processing") {
        if (latest?.value.status === "canceling") return this.finishCancel(latest, current);
        return this.done(current);
      }
      const now = this.now();
      const op = stageJobUpdate(this.db.kv.atomic(), this.db, current, null);
      stageRun(op, this.db, latest, {
        ...latest.value,
        status: "sending",
        excluded,
        transitions: [...latest.value.transitions, { status: "sending", at: now }],
      });
      const modes = [...new Set(deliveries.map((d) => d.mode))];
      const jobs = modes.map((mode) =>
        newJob(
          "send",
          run.value.id,
          Math.max(now, ...deliveries.filter((d) => d.mode === mode).map((d) => d.notBefore ?? 0)),
          mode,
        )
      );
      for (const j of [...jobs, newJob("finish", run.value.id, now)]) stageNewJob(op, this.db, j);
      if ((await op.commit()).ok) { for (const j of jobs) if (j.dueAt <= now) this.o.enqueue?.(j.id); }
    } catch (e) {
      if (e instanceof Failure) return this.fail(run, e, current);
      if (current.value.attempts < PROCESS_ATTEMPTS) throw e;
      console.error(`dispatch: Processing run ${run.value.id} threw ${PROCESS_ATTEMPTS} times; it is Failed:`, e);
      const error = e instanceof Error ? e : new Error(String(e));
      return this.fail(
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

  /** Everything Processing decides, checked before any delivery is written. */
  private async plan(run: Run): Promise<{ deliveries: Delivery[]; excluded: NonNullable<Run["excluded"]> }> {
    const message = await this.runMessage(run.id);
    if (!message) throw new Failure("The message's content was not found.", "Processing: loading the message", "");
    const calendar = await getCalendar(this.db, message.calendarId);
    if (!calendar) {
      throw new Failure(
        "The calendar this message was created under no longer exists, so its recipients cannot be found. " +
          "Edit the message, choose a calendar, and send it again.",
        "Processing: resolving recipients",
        `NotFoundError: calendar ${message.calendarId}`,
      );
    }
    const district = (await getDistrict(this.db))!;
    const { recipients } = await resolveRecipients(this.db, message, calendar);
    const ctx = await this.contexts(recipients, calendar.schoolId, district);
    const times: Partial<Record<Mode, number>> = {};
    for (const [mode, t] of Object.entries(message.schedule.times) as [Mode, string][]) {
      times[mode] = fromWall(run.occurrenceDate, t, district.timeZone);
    }
    const now = this.now();
    const out: Delivery[] = [];
    const excluded: NonNullable<Run["excluded"]> = {};
    const seen = new Set<string>();
    for (const r of recipients) {
      const c = ctx.get(r)!;
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

  private async contexts(recipients: Recipient[], schoolId: string, district: District) {
    const school = (await listSchools(this.db)).find((s) => s.id === schoolId) ?? { id: schoolId, name: "" };
    const students = new Map<string, Awaited<ReturnType<typeof getPerson>>>();
    const out = new Map<Recipient, MergeContext>();
    for (const r of recipients) {
      const theirs = [];
      if (r.person.kind === "student") theirs.push(r.person);
      for (const id of r.studentIds) {
        if (!students.has(id)) students.set(id, await getPerson(this.db, id));
        const s = students.get(id);
        if (s) theirs.push(s.value);
      }
      out.set(r, { recipient: r.person, students: theirs, school, district });
    }
    return out;
  }

  // ---- Sending -------------------------------------------------------------

  private async send(job: Versioned<Job>) {
    const mode = job.value.mode!;
    const run = await getRun(this.db, job.value.runId);
    if (!run || run.value.status !== "sending") return this.done(job);
    const message = (await this.runMessage(run.value.id))!;
    const district = (await getDistrict(this.db))!;
    const now = this.now();
    if (mode === "voice" && message.type !== "emergency") {
      const opens = nextDialingWindow(now, district);
      if (opens > now) return this.reschedule(job, opens);
    }
    const calendar = await getCalendar(this.db, message.calendarId);
    const school = (await listSchools(this.db)).find((s) => s.id === calendar?.schoolId) ?? { id: "", name: "" };
    const attachments = await this.attachments(message, mode);
    let current: Versioned<Job> | null = job;
    let later = Infinity;
    const queue: Versioned<Delivery>[] = [];
    for await (const d of deliveriesOf(this.db, run.value.id, mode)) {
      const s = d.value.state;
      const stale = s === "sending" && now - d.value.updatedAt > this.sendTimeoutMs;
      if (s !== "pending" && s !== "redial" && !stale) continue;
      if ((d.value.notBefore ?? 0) > now) later = Math.min(later, d.value.notBefore!);
      else queue.push(d);
    }
    // Everyone this job sends to (and their students), read in bulk rather than one read per delivery.
    const people = await getPeople(this.db, queue.flatMap((d) => [d.value.personId, ...d.value.studentIds]));
    let i = 0;
    let canceled = false;
    const worker = async () => {
      while (i < queue.length && !canceled) {
        const d = queue[i++];
        if (i % 50 === 0) {
          const latest = await getRun(this.db, run.value.id);
          if (latest?.value.status !== "sending") canceled = true;
          current = current && await renewLease(this.db, current, this.now(), this.leaseMs);
          if (!current) canceled = true;
          if (canceled) return;
        }
        // One delivery's storage trouble must not abort the others; it is re-driven later.
        await this.deliver(d, message, district, school, attachments, people).catch((e) =>
          console.error(`dispatch: delivery ${d.value.id} of run ${d.value.runId}:`, e)
        );
      }
    };
    await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker));
    if (!current) return;
    if (canceled) {
      await this.done(current);
      return this.nudge(run.value.id, "cancel"); // The cancel need not wait for its next look.
    }
    // Retries and redials wait for their time; the rest is the finish job's.
    for await (const d of deliveriesOf(this.db, run.value.id, mode)) {
      if (d.value.state === "pending" || d.value.state === "redial") later = Math.min(later, d.value.notBefore ?? now);
      // Claimed by an instance that died: look again when it counts as cut off.
      if (d.value.state === "sending") later = Math.min(later, d.value.updatedAt + this.sendTimeoutMs + 1);
    }
    if (later < Infinity) return this.reschedule(current, Math.max(later, now + 1000));
    await this.done(current);
    return this.nudge(run.value.id, "finish"); // Nothing left to send: the run may be complete now.
  }

  private async attachments(message: Message, mode: Mode) {
    if (mode !== "email") return [];
    const out = [];
    for (const a of message.attachments) {
      const chunks: Uint8Array[] = [];
      for await (const c of attachmentStream(this.db, message.id, a.id)) chunks.push(c);
      out.push({ filename: a.name, contentType: a.contentType, content: concat(chunks) });
    }
    return out;
  }

  /** One delivery: claim, one provider call, record. */
  private async deliver(
    d: Versioned<Delivery>,
    message: Message,
    district: District,
    school: { id: string; name: string },
    attachments: { filename: string; contentType: string; content: Uint8Array }[],
    people: Map<string, Person>,
  ) {
    const now = this.now();
    const claimed = await advanceDelivery(
      this.db,
      d,
      // A new attempt has no provider id until the provider answers it.
      moved(d.value, "sending", now, undefined, { attempts: d.value.attempts + 1, providerId: undefined }),
    );
    if (!claimed) return;
    const v = claimed.value;
    const person = people.get(v.personId);
    const students = v.studentIds.flatMap((id) => people.get(id) ?? []);
    if (person?.kind === "student") students.push(person);
    if (!person) {
      await advanceDelivery(this.db, claimed, moved(v, "failed", now, "the person was removed from the roster"));
      return;
    }
    const ctx: MergeContext = { recipient: person, students, school, district };
    const fill = (s: string, html = false) => renderMerge(s, ctx, html ? escapeHtml : undefined);
    const callback = `${this.o.publicUrl}/webhooks/twilio/status?d=${encodeURIComponent(this.db.districtId)}&r=${
      encodeURIComponent(v.runId)
    }&m=${v.mode}&id=${encodeURIComponent(v.id)}`;
    // Only the provider call is inside the try: a storage error afterwards is
    // not a failed send and must never make us send again.
    let accepted: Accepted;
    try {
      const p = this.o.providers;
      accepted = v.mode === "inbox"
        ? await this.deliverInbox(v, fill(message.subject), fill(message.content.inbox))
        : v.mode === "email"
        ? await p.sendEmail({
          to: v.address!,
          subject: fill(message.subject),
          html: fill(message.content.emailHtml, true),
          text: fill(message.content.emailText),
          messageId: `<${v.runId}.${v.id.replaceAll(/[^\w.-]/g, "_")}@messenger.${this.db.districtId}>`,
          attachments,
        })
        : v.mode === "text"
        ? await p.sendText({ to: v.address!, body: fill(message.content.text), statusCallback: callback })
        : await p.call({ to: v.address!, say: fill(message.content.voice), statusCallback: callback });
    } catch (e) {
      const err = e instanceof ProviderError ? e : new ProviderError(String((e as Error).message ?? e), false);
      if (err.code === "21610" && v.address) {
        await setTextOptOut(this.db, v.address, new Date(this.now()).toISOString());
      }
      const permanent = err.permanent || v.attempts >= MAX_ATTEMPTS;
      await withKvRetry(() =>
        advanceDelivery(
          this.db,
          claimed,
          permanent
            ? moved(v, "failed", this.now(), err.message, { errorCode: err.code, error: err.message })
            : moved(v, "pending", this.now(), `retry: ${err.message}`, {
              errorCode: err.code,
              error: err.message,
              notBefore: this.now() + backoff(v.attempts, err.retryAfter),
            }),
        )
      );
      return;
    }
    // If even the retried write fails, the delivery stays "sending" and is
    // resent only after the send timeout, exactly as after a crash.
    await withKvRetry(() =>
      advanceDelivery(
        this.db,
        claimed,
        moved(v, accepted.final ?? "sent", this.now(), accepted.status, {
          providerId: accepted.providerId,
          providerStatus: accepted.status,
        }),
      )
    );
    // Only texts and calls have status callbacks that can arrive before this write.
    if (v.mode !== "text" && v.mode !== "voice") return;
    const ref = { runId: v.runId, mode: v.mode, id: v.id };
    const early = await this.db.kv.get<{ sid: string; status: string; errorCode?: string }>(earlyKey(this.db, ref));
    if (early.value) {
      await this.db.kv.delete(earlyKey(this.db, ref));
      await this.applyStatus(ref, early.value.sid, early.value.status, early.value.errorCode);
    }
  }

  private async deliverInbox(v: Delivery, subject: string, body: string) {
    await this.db.kv.set([this.db.districtId, "inbox", v.personId, v.runId, v.id], {
      subject,
      body,
      at: this.now(),
    });
    return { providerId: `inbox-${v.personId}`, status: "in the portal inbox", final: "delivered" as const };
  }

  // ---- Provider status callbacks --------------------------------------------

  /**
   * A status callback for one delivery. Idempotent: a repeated or late
   * callback that would not move the delivery forward changes nothing.
   */
  async applyStatus(
    ref: { runId: string; mode: Mode; id: string },
    sid: string,
    status: string,
    errorCode?: string,
  ): Promise<"applied" | "ignored" | "unknown"> {
    const current = await getDelivery(this.db, ref.runId, ref.mode, ref.id);
    if (current?.value.state === "sending" && !current.value.providerId) {
      // The provider answered the callback before our own record of the send
      // landed: keep it; deliver() applies it right after recording the send.
      await this.db.kv.set(earlyKey(this.db, ref), { sid, status, errorCode }, { expireIn: 60 * 60_000 });
      return "applied";
    }
    if (!current || current.value.providerId !== sid) return "unknown";
    const d = current.value;
    const now = this.now();
    const detail = errorCode
      ? `${status} (${errorCode}: ${errorMeaning(errorCode) ?? "see Twilio's error list"})`
      : status;
    if (d.state === "delivered" || d.state === "failed" || d.state === "canceled" || d.state === "redial") {
      return "ignored";
    }
    if (errorCode === "21610" && d.address) await setTextOptOut(this.db, d.address, new Date(now).toISOString());
    const extra = { providerStatus: status, errorCode, error: errorCode ? errorMeaning(errorCode) : undefined };
    if (ref.mode === "text") {
      const next = lookUp(TEXT_STATUS, status);
      if (!next || (next === "sent" && d.state === "sent")) return "ignored";
      return (await advanceDelivery(this.db, current, moved(d, next, now, detail, extra))) ? "applied" : "ignored";
    }
    if (status === "completed") {
      return (await advanceDelivery(this.db, current, moved(d, "delivered", now, detail, extra)))
        ? "applied"
        : "ignored";
    }
    if (status === "busy" || status === "no-answer") {
      const redial = this.o.redial ?? DEFAULT_REDIAL;
      if (d.attempts >= redial.attempts) {
        const last = moved(d, "failed", now, `${detail}; no more redials`, extra);
        return (await advanceDelivery(this.db, current, last)) ? "applied" : "ignored";
      }
      const at = now + redial.intervalMs;
      const op = stageNewJob(this.db.kv.atomic(), this.db, newJob("send", ref.runId, at, "voice"));
      const next = moved(d, "redial", now, `${detail}; redial at ${new Date(at).toISOString()}`, {
        ...extra,
        notBefore: at,
      });
      return (await advanceDelivery(this.db, current, next, op)) ? "applied" : "ignored";
    }
    if (status === "failed" || status === "canceled") {
      const next = moved(d, status, now, detail, extra);
      return (await advanceDelivery(this.db, current, next)) ? "applied" : "ignored";
    }
    return "ignored"; // queued, ringing, in-progress: nothing final yet.
  }

  // ---- Completion ----------------------------------------------------------

  private isFinal(d: Delivery, now: number): boolean {
    if (d.state === "delivered" || d.state === "failed" || d.state === "canceled") return true;
    if (d.state !== "sent") return false;
    return d.mode === "email" || d.mode === "inbox" || now - d.updatedAt > CALLBACK_GRACE_MS;
  }

  private async finish(job: Versioned<Job>) {
    const run = await getRun(this.db, job.value.runId);
    if (!run || run.value.status !== "sending") return this.done(job);
    const now = this.now();
    for await (const d of deliveriesOf(this.db, run.value.id)) {
      if (!this.isFinal(d.value, now)) return this.reschedule(job, now + 30_000);
    }
    const counts = await runCounts(this.db, run.value.id);
    const op = stageJobUpdate(this.db.kv.atomic(), this.db, job, null);
    stageRun(op, this.db, run, {
      ...run.value,
      status: "completed",
      counts,
      transitions: [...run.value.transitions, { status: "completed", at: now }],
    });
    await op.commit();
  }

  // ---- Canceling -----------------------------------------------------------

  /** Cancel Message on a run in progress: Canceling now, the cancel job does the rest. */
  async requestCancel(runId: string, by: string): Promise<Run | null> {
    const run = await getRun(this.db, runId);
    if (!run || (run.value.status !== "processing" && run.value.status !== "sending")) return null;
    const now = this.now();
    const next: Run = {
      ...run.value,
      status: "canceling",
      transitions: [...run.value.transitions, { status: "canceling", at: now, by }],
    };
    const job = newJob("cancel", runId, now);
    const op = this.db.kv.atomic();
    stageRun(op, this.db, run, next);
    stageNewJob(op, this.db, job);
    if (!(await op.commit()).ok) return null;
    this.o.enqueue?.(job.id);
    return next;
  }

  private async cancel(job: Versioned<Job>) {
    const run = await getRun(this.db, job.value.runId);
    if (!run || run.value.status !== "canceling") return this.done(job);
    const sentBefore = run.value.transitions.some((t) => t.status === "sending");
    if (!sentBefore) return this.finishCancel(run, job);
    const now = this.now();
    let waiting = false;
    for await (const d of deliveriesOf(this.db, run.value.id)) {
      const v = d.value;
      if (v.state === "pending" || v.state === "redial") {
        const stopped = await advanceDelivery(this.db, d, moved(v, "canceled", now, "canceled before it was sent"));
        if (!stopped) waiting = true; // A sender took it at this instant: its outcome decides.
      } else if (v.state === "sending" && now - v.updatedAt <= this.sendTimeoutMs) {
        waiting = true; // A provider call is in flight: its result decides.
      } else if (v.state === "sending") {
        await advanceDelivery(
          this.db,
          d,
          moved(v, "failed", now, "cut off by a restart during cancel; may have been sent"),
        );
      } else if (v.state === "sent" && (v.mode === "text" || v.mode === "voice") && v.providerId) {
        const stopped = await this.o.providers.cancel(v.mode, v.providerId).catch(() => false);
        if (stopped) await advanceDelivery(this.db, d, moved(v, "canceled", now, "canceled at the provider"));
        else if (now - run.value.transitions.at(-1)!.at < CANCEL_WAIT_MS) waiting = true;
      }
    }
    if (waiting) return this.reschedule(job, now + 15_000);
    const counts = await runCounts(this.db, run.value.id);
    const op = stageJobUpdate(this.db.kv.atomic(), this.db, job, null);
    stageRun(op, this.db, run, {
      ...run.value,
      status: "canceled",
      counts,
      transitions: [...run.value.transitions, { status: "canceled", at: now }],
    });
    for (const other of await jobsOfRun(this.db, run.value.id)) {
      if (other.value.id !== job.value.id) stageJobUpdate(op, this.db, other, null);
    }
    await op.commit();
  }

  /** Canceled during Processing: nothing left Messenger, so the record goes. */
  private async finishCancel(run: Versioned<Run>, job: Versioned<Job>) {
    await deleteRunDeliveries(this.db, run.value.id);
    const op = stageJobUpdate(this.db.kv.atomic(), this.db, job, null);
    stageRun(op, this.db, run, null);
    op.delete(runMessageKey(this.db, run.value.id));
    for (const other of await jobsOfRun(this.db, run.value.id)) {
      if (other.value.id !== job.value.id) stageJobUpdate(op, this.db, other, null);
    }
    await op.commit();
  }
}

/** How long Canceling waits for providers to confirm before recording what it knows. */
export const CANCEL_WAIT_MS = 5 * 60 * 1000;

/** The next instant voice may dial for General/Priority: now if inside the window. */
export function nextDialingWindow(now: number, district: District): number {
  const { date, time } = toWall(now, district.timeZone);
  const { start, end } = district.dialingWindow;
  if (time >= start && time < end) return now;
  const day = time < start ? date : toWall(now + 86_400_000, district.timeZone).date;
  return fromWall(day, start, district.timeZone);
}

/** Retries a KV write that failed for a passing reason (the file busy, a network blip). */
async function withKvRetry<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1;; i++) {
    try {
      return await write();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (i - 1)));
    }
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
