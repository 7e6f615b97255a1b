import assert from "node:assert/strict";
import { FAILED_VISIBLE_MS, type Run, RUN_STATUSES, type RunStatus } from "../model.ts";
import {
  countsAreLive,
  failedAt,
  isCancelable,
  isFinished,
  isInProgress,
  reachedSending,
  started,
  transition,
} from "./run_status.ts";

const T0 = Date.UTC(2026, 8, 1, 13);

function runThrough(...path: RunStatus[]): Run {
  let run: Run = {
    id: "R7K3Q9XD2M4P",
    messageId: "msg-1",
    occurrenceDate: "2026-09-01",
    message: {} as Run["message"],
    ...started(T0),
    counts: {},
    startedAt: T0,
  };
  path.forEach((to, i) => run = transition(run, to, T0 + (i + 1) * 1000));
  return run;
}

Deno.test("a run starts in Processing, and each transition is kept in its timeline", () => {
  const run = runThrough("sending", "completed");
  assert.equal(run.status, "completed");
  assert.deepEqual(run.transitions, [
    { status: "processing", at: T0 },
    { status: "sending", at: T0 + 1000 },
    { status: "completed", at: T0 + 2000 },
  ]);
  const canceling = transition(runThrough(), "canceling", T0 + 5000, "Ada Office");
  assert.deepEqual(canceling.transitions.at(-1), { status: "canceling", at: T0 + 5000, by: "Ada Office" });
});

Deno.test("only the transitions of a run's life are allowed; the rest throw", () => {
  const legal = new Set([
    "processing → sending",
    "processing → failed",
    "processing → canceling",
    "sending → completed",
    "sending → canceling",
    "canceling → canceled",
  ]);
  const reach: Record<RunStatus, RunStatus[]> = {
    processing: [],
    sending: ["sending"],
    canceling: ["canceling"],
    failed: ["failed"],
    completed: ["sending", "completed"],
    canceled: ["sending", "canceling", "canceled"],
  };
  for (const from of RUN_STATUSES) {
    for (const to of RUN_STATUSES) {
      const run = runThrough(...reach[from]);
      if (legal.has(`${from} → ${to}`)) assert.equal(transition(run, to, T0 + 9000).status, to);
      else assert.throws(() => transition(run, to, T0 + 9000), new RegExp(`from ${from} to ${to}`));
    }
  }
});

Deno.test("the questions pages ask of a run's status", () => {
  const processing = runThrough();
  const sending = runThrough("sending");
  const cancelingEarly = runThrough("canceling");
  const cancelingLate = runThrough("sending", "canceling");
  const failed = runThrough("failed");
  const completed = runThrough("sending", "completed");
  const canceled = runThrough("sending", "canceling", "canceled");
  const all = [processing, sending, cancelingEarly, cancelingLate, failed, completed, canceled];
  const which = (ask: (r: Run) => boolean) => all.filter(ask).map((r) => r.transitions.map((t) => t.status).join(">"));

  assert.deepEqual(which(isCancelable), ["processing", "processing>sending"]);
  assert.deepEqual(which(reachedSending), [
    "processing>sending",
    "processing>sending>canceling",
    "processing>sending>completed",
    "processing>sending>canceling>canceled",
  ]);
  assert.deepEqual(which(countsAreLive), [
    "processing>sending",
    "processing>canceling",
    "processing>sending>canceling",
  ]);
  assert.deepEqual(which(isFinished), ["processing>sending>completed", "processing>sending>canceling>canceled"]);
  assert.deepEqual(all.map(failedAt), [undefined, undefined, undefined, undefined, T0 + 1000, undefined, undefined]);
});

Deno.test("In Progress: until the run finishes, and Failed for seven days", () => {
  const now = T0 + 60_000;
  assert.deepEqual(
    [runThrough(), runThrough("sending"), runThrough("canceling")].map((r) => isInProgress(r, now)),
    [true, true, true],
  );
  assert.equal(isInProgress(runThrough("sending", "completed"), now), false);
  assert.equal(isInProgress(runThrough("sending", "canceling", "canceled"), now), false);
  const failed = runThrough("failed");
  assert.equal(isInProgress(failed, T0 + 1000 + FAILED_VISIBLE_MS - 1), true);
  assert.equal(isInProgress(failed, T0 + 1000 + FAILED_VISIBLE_MS), false);
  const noTimeline = { ...failed, transitions: failed.transitions.slice(0, 1) };
  assert.equal(isInProgress(noTimeline, T0 + FAILED_VISIBLE_MS - 1), true, "without its failed step, from its start");
});
