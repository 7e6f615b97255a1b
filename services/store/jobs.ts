/**
 * Durable work items and their due index. Each unit of dispatch work is a
 * KV record; the due index orders jobs by priority, then by the time they
 * are due (or, while claimed, the end of their lease), so the next job is
 * always the first key of a range read.
 */
import { z } from "zod";
import { Mode } from "../model.ts";
import type { Db, Versioned } from "./kv.ts";

export const Job = z.object({
  id: z.string(),
  kind: z.enum(["process", "send", "finish", "cancel", "roster_preview", "roster_apply"]),
  /** The run the job works on; for roster jobs, the roster import's id. */
  runId: z.string(),
  mode: Mode.optional(),
  dueAt: z.number(),
  leaseUntil: z.number().optional(),
  attempts: z.number().int().nonnegative(),
  /** Process: how many delivery batches are written. */
  progress: z.number().int().nonnegative().default(0),
  lastError: z.string().optional(),
  /**
   * Which due job runs first: Emergency (0) before Priority (1) before
   * General (2), and roster imports (3) after all sending. Absent on jobs
   * written before priorities existed; those sort by time after all others.
   */
  priority: z.number().int().min(0).max(3).optional(),
  /** A send shard: the deliveries of its mode whose ids are in [from, to). */
  shard: z.object({ from: z.string(), to: z.string() }).optional(),
});
export type Job = z.infer<typeof Job>;

export const PRIORITY = { emergency: 0, priority: 1, general: 2, background: 3 } as const;
const LOWEST = PRIORITY.background;

const jobKey = (db: Db, id: string): Deno.KvKey => [db.districtId, "job", id];
/** Due jobs by priority, then time: a job's due time, or the end of its lease while claimed. */
const dueKey = (db: Db, job: Job): Deno.KvKey =>
  job.priority === undefined
    ? [db.districtId, "job_due", job.leaseUntil ?? job.dueAt, job.id]
    : [db.districtId, "job_due", job.priority, job.leaseUntil ?? job.dueAt, job.id];

export function stageNewJob(op: Deno.AtomicOperation, db: Db, job: Job): Deno.AtomicOperation {
  return op.check({ key: jobKey(db, job.id), versionstamp: null }).set(jobKey(db, job.id), Job.parse(job))
    .set(dueKey(db, job), job.id);
}

/** Replaces a job I own: checked, so a job that was taken over meanwhile is left alone. */
export function stageJobUpdate(op: Deno.AtomicOperation, db: Db, current: Versioned<Job>, next: Job | null) {
  op.check({ key: jobKey(db, current.value.id), versionstamp: current.versionstamp }).delete(dueKey(db, current.value));
  if (next) op.set(jobKey(db, next.id), Job.parse(next)).set(dueKey(db, next), next.id);
  else op.delete(jobKey(db, current.value.id));
  return op;
}

export async function getJob(db: Db, id: string): Promise<Versioned<Job> | null> {
  const e = await db.kv.get(jobKey(db, id));
  return e.versionstamp ? { value: Job.parse(e.value), versionstamp: e.versionstamp } : null;
}

/**
 * Ids of jobs due at `now` (including claimed ones whose lease ran out),
 * highest priority first, then oldest first.
 */
export async function dueJobIds(db: Db, now: number, limit = 200): Promise<string[]> {
  const ids: string[] = [];
  const ranges: [Deno.KvKey, Deno.KvKey][] = [];
  for (let p = 0; p <= LOWEST; p++) {
    ranges.push([[db.districtId, "job_due", p], [db.districtId, "job_due", p, now + 1]]);
  }
  // Jobs from before priorities: their time sits where the priority now does, always above LOWEST.
  ranges.push([[db.districtId, "job_due", LOWEST + 1], [db.districtId, "job_due", now + 1]]);
  for (const [start, end] of ranges) {
    for await (const e of db.kv.list<string>({ start, end }, { limit: limit - ids.length })) ids.push(e.value);
    if (ids.length >= limit) break;
  }
  return ids;
}

export async function jobsOfRun(db: Db, runId: string): Promise<Versioned<Job>[]> {
  const out: Versioned<Job>[] = [];
  for await (const e of db.kv.list({ prefix: [db.districtId, "job"] })) {
    const job = Job.parse(e.value);
    if (job.runId === runId) out.push({ value: job, versionstamp: e.versionstamp });
  }
  return out;
}
