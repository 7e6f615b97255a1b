/**
 * What every stage of dispatch shares: the options with their defaults
 * filled in, and the three things a stage does with the job it holds
 * (done, reschedule, nudge another).
 */
import type { CountryCode } from "libphonenumber-js";
import type { Providers } from "../providers/types.ts";
import type { Db, Versioned } from "../store/kv.ts";
import { MAX_BATCH } from "../store/deliveries.ts";
import type { Clock } from "../time.ts";
import { type Job, jobsOfRun, stageJobUpdate } from "../store/jobs.ts";
import { LEASE_MS } from "./jobs.ts";

/** A delivery left "sending" this long was cut off by a crash: send it again. */
export const SEND_TIMEOUT_MS = 5 * 60 * 1000;
/** A delivery "sent" with no final word from the provider this long counts as final (sent). */
export const STATUS_WAIT_MS = 30 * 60 * 1000;

export interface DispatchOptions {
  db: Db;
  clock: Clock;
  providers: Providers;
  /** Base URL providers call back (status callbacks). */
  publicUrl: string;
  /** Starts a job now where KV queues exist; the sweep covers the rest. */
  enqueue?: (jobId: string) => void;
  /** Lease on a claimed job, and how long a delivery may stay "sending" before a crash is assumed. */
  timing?: {
    leaseMs: number;
    sendTimeoutMs: number;
    /** How long a "sent" delivery waits for the provider's final word: STATUS_WAIT_MINUTES. */
    statusWaitMs?: number;
  };
  /** Busy / no-answer calls: how many calls in all, and how long between them. */
  redial?: { attempts: number; intervalMs: number };
  /** Phone numbers in a roster without a country code are read as this country's. */
  phoneCountry?: CountryCode;
  /** Jobs this instance runs at once (send shards mostly): DISPATCH_SLOTS. */
  slots?: number;
  /** Deliveries in one send shard (tests make it small). */
  shardSize?: number;
  /** Deliveries one commit claims and one records: SEND_BATCH (at most MAX_BATCH). */
  batchSize?: number;
}

export const DEFAULT_SLOTS = 4;
/** Deliveries in one send shard: a few seconds of work, small enough for instances to share a run. */
export const SHARD_SIZE = 1000;

export interface DispatchContext {
  db: Db;
  clock: Clock;
  providers: Providers;
  options: DispatchOptions;
  enqueue: (jobId: string) => void;
  leaseMs: number;
  sendTimeoutMs: number;
  statusWaitMs: number;
  /** Roster jobs under way: they run beside the sweep, not inside it (see runJob). */
  background: Set<Promise<void>>;
  slots: number;
  shardSize: number;
  batchSize: number;
  /** The sweep under way in this instance, and how to fill its pool of workers up again. */
  sweeping: { run: Promise<number>; wake: () => void } | null;
}

export function dispatchContext(options: DispatchOptions): DispatchContext {
  return {
    db: options.db,
    clock: options.clock,
    providers: options.providers,
    options,
    enqueue: (jobId) => options.enqueue?.(jobId),
    leaseMs: options.timing?.leaseMs ?? LEASE_MS,
    sendTimeoutMs: options.timing?.sendTimeoutMs ?? SEND_TIMEOUT_MS,
    statusWaitMs: options.timing?.statusWaitMs ?? STATUS_WAIT_MS,
    background: new Set(),
    slots: options.slots ?? DEFAULT_SLOTS,
    shardSize: options.shardSize ?? SHARD_SIZE,
    batchSize: Math.max(1, Math.min(MAX_BATCH, options.batchSize ?? MAX_BATCH)),
    sweeping: null,
  };
}

/** The job's work is over: it leaves the due list. */
export async function done(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  await stageJobUpdate(ctx.db.kv.atomic(), ctx.db, job, null).commit();
}

/** Gives the job back, to be taken up again at `dueAt`. */
export async function reschedule(ctx: DispatchContext, job: Versioned<Job>, dueAt: number): Promise<void> {
  const next = { ...job.value, dueAt, leaseUntil: undefined };
  await stageJobUpdate(ctx.db.kv.atomic(), ctx.db, job, next).commit();
  if (dueAt <= ctx.clock.now()) ctx.enqueue(job.value.id);
}

/** Brings a run's waiting job of this kind forward to now (it may have rescheduled itself). */
export async function nudge(ctx: DispatchContext, runId: string, kind: Job["kind"]): Promise<void> {
  for (const job of await jobsOfRun(ctx.db, runId)) {
    if (job.value.kind !== kind || job.value.leaseUntil) continue;
    await reschedule(ctx, job, ctx.clock.now());
  }
}
