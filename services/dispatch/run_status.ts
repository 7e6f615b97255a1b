/**
 * A run's status: the questions pages and dispatch ask of it, and the only
 * way it changes. A run's life:
 *
 *   processing → sending → completed (Sent)
 *   processing → failed (Retry starts a new run)
 *   processing | sending → canceling (Cancel Message) → canceled, or the run
 *   is deleted when it was still Processing, since nobody received anything
 */
import { FAILED_VISIBLE_MS, type Run, type RunStatus } from "../model.ts";

const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  processing: ["sending", "failed", "canceling"],
  sending: ["completed", "canceling"],
  canceling: ["canceled"],
  failed: [],
  completed: [],
  canceled: [],
};

/** A new run (a due occurrence, or a Retry) starts in Processing. */
export function started(at: number): Pick<Run, "status" | "transitions"> {
  return { status: "processing", transitions: [{ status: "processing", at }] };
}

/**
 * The run in its next status, the change kept in its timeline. A transition
 * the life above does not allow is a bug in the caller, so it throws rather
 * than write a timeline nobody can explain.
 */
export function transition(run: Run, to: RunStatus, at: number, by?: string): Run {
  if (!NEXT[run.status].includes(to)) throw new Error(`a run cannot go from ${run.status} to ${to}`);
  const step = by === undefined ? { status: to, at } : { status: to, at, by };
  return { ...run, status: to, transitions: [...run.transitions, step] };
}

/** Cancel Message is offered, and taken, only before a run is done or already Canceling. */
export function isCancelable(run: Run): boolean {
  return run.status === "processing" || run.status === "sending";
}

/**
 * Whether the run got as far as Sending. Cancel Message then ends in Canceled
 * with who received it; before that it deletes the run, since nobody did.
 */
export function reachedSending(run: Run): boolean {
  return run.transitions.some((t) => t.status === "sending");
}

/** Its delivery counters are still moving, so they, not the snapshot on the run, are its counts. */
export function countsAreLive(run: Run): boolean {
  return run.status === "sending" || run.status === "canceling";
}

/** Sent or Canceled: on the Sent Message Log, its counts final. */
export function isFinished(run: Run): boolean {
  return run.status === "completed" || run.status === "canceled";
}

/** When a Failed run failed; undefined for any other run. */
export function failedAt(run: Run): number | undefined {
  if (run.status !== "failed") return undefined;
  return run.transitions.findLast((t) => t.status === "failed")?.at;
}

/** Whether a run belongs on the In Progress tab at `now`: until it finishes, and Failed for seven days. */
export function isInProgress(run: Run, now: number): boolean {
  if (run.status === "failed") return now - (failedAt(run) ?? run.startedAt) < FAILED_VISIBLE_MS;
  return run.status === "processing" || run.status === "sending" || run.status === "canceling";
}
