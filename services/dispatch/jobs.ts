/**
 * A job's lease. Whoever claims a job (an atomic check on its versionstamp)
 * owns it until the lease ends; the cron sweep re-drives jobs whose lease
 * ran out (a crash, a lost queue message, or no queues at all). The records
 * and their due index are in store/jobs.ts.
 */
import type { MessageType, Mode } from "../model.ts";
import { getJob, type Job, PRIORITY, stageJobUpdate } from "../store/jobs.ts";
import { type Db, newId, type Versioned } from "../store/kv.ts";

/** A run's jobs go ahead of or behind other runs' by its message type: Emergency first. */
export function priorityOf(run: { message: { type: MessageType } }): number {
  return PRIORITY[run.message.type];
}

export const LEASE_MS = 2 * 60 * 1000;

export function newJob(
  kind: Job["kind"],
  runId: string,
  dueAt: number,
  mode?: Mode,
  more: Pick<Job, "priority" | "shard"> = {},
): Job {
  const priority = more.priority ?? (kind.startsWith("roster_") ? PRIORITY.background : PRIORITY.general);
  return { id: newId(), kind, runId, mode, dueAt, attempts: 0, progress: 0, ...more, priority };
}

/** Takes the job for LEASE_MS if it is due and nobody holds it; null otherwise. */
export async function claimJob(db: Db, id: string, now: number, leaseMs = LEASE_MS): Promise<Versioned<Job> | null> {
  const current = await getJob(db, id);
  if (!current) return null;
  const job = current.value;
  if ((job.leaseUntil ?? job.dueAt) > now) return null;
  const next: Job = { ...job, leaseUntil: now + leaseMs, attempts: job.attempts + 1 };
  const result = await stageJobUpdate(db.kv.atomic(), db, current, next).commit();
  return result.ok ? { value: next, versionstamp: result.versionstamp } : null;
}

/** Extends my lease on a long job; false if I lost it. */
export async function renewLease(
  db: Db,
  current: Versioned<Job>,
  now: number,
  leaseMs = LEASE_MS,
): Promise<Versioned<Job> | null> {
  const next = { ...current.value, leaseUntil: now + leaseMs };
  const result = await stageJobUpdate(db.kv.atomic(), db, current, next).commit();
  return result.ok ? { value: next, versionstamp: result.versionstamp } : null;
}
