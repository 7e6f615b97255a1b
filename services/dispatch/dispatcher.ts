/**
 * Dispatch's one public face, for main.ts, the routes and the tests. The
 * work lives in a file per stage of a run's life, so each is found by name:
 *
 *   scheduler.ts         due occurrences become runs; each due job goes to its stage
 *   processing.ts        Processing: recipients → deliveries, or Failed
 *   sending.ts           Sending: one provider call per delivery (the duplicate bound)
 *   status_callbacks.ts  Twilio's word on each text and call; redials
 *   calls.ts             a call's TwiML: the message, press 1 to repeat it; who answered
 *   completion.ts        Sent, once every delivery is final
 *   cancel.ts            Cancel Message: Canceling → Canceled, or deleted
 *   run_status.ts        the only place a run's status changes
 *   ../roster/jobs.ts    roster imports' preview and apply, run as jobs here
 *
 * Every stage is an idempotent job handler over KV records (see jobs.ts and
 * DESIGN.md "Dispatch"), taking the shared context of context.ts.
 */
import type { Run, Stamp } from "../model.ts";
import { applyRoster, previewRoster } from "../roster/jobs.ts";
import type { StartResult } from "../roster/apply.ts";
import { requestCancel } from "./cancel.ts";
import { type DispatchContext, dispatchContext, type DispatchOptions } from "./context.ts";
import { drain, idle, retry, runJob, startOccurrence, sweep, tick } from "./scheduler.ts";
import type { DeliveryRef } from "../store/deliveries.ts";
import { applyStatus } from "./status_callbacks.ts";
import { type CallRequest, callTwiml } from "./calls.ts";
import { applyEmailEventWith, type EmailEvent, type EmailEventOutcome } from "./email_events.ts";

export class Dispatcher {
  private readonly ctx: DispatchContext;

  constructor(options: DispatchOptions) {
    this.ctx = dispatchContext(options);
  }

  tick(): Promise<void> {
    return tick(this.ctx);
  }

  startOccurrence(messageId: string, now: number): Promise<Run | null> {
    return startOccurrence(this.ctx, messageId, now);
  }

  retry(runId: string): Promise<Run | null> {
    return retry(this.ctx, runId);
  }

  sweep(): Promise<number> {
    return sweep(this.ctx);
  }

  drain(maxRounds?: number): Promise<void> {
    return drain(this.ctx, maxRounds);
  }

  idle(): Promise<void> {
    return idle(this.ctx);
  }

  runJob(id: string): Promise<boolean> {
    return runJob(this.ctx, id);
  }

  requestCancel(runId: string, by: string): Promise<Run | null> {
    return requestCancel(this.ctx, runId, by);
  }

  applyStatus(
    ref: DeliveryRef,
    sid: string,
    status: string,
    errorCode?: string,
    answeredBy?: string,
  ): Promise<"applied" | "ignored" | "unknown"> {
    return applyStatus(this.ctx, ref, sid, status, errorCode, answeredBy);
  }

  callTwiml(ref: Omit<DeliveryRef, "mode">, req: CallRequest): Promise<string> {
    return callTwiml(this.ctx, ref, req);
  }

  /** The event, with `alongside` staged into the commit that records it (see email_events.ts). */
  applyEmailEventWith(
    ref: Omit<DeliveryRef, "mode">,
    event: EmailEvent,
    alongside: (op: Deno.AtomicOperation) => Deno.AtomicOperation,
  ): Promise<{ outcome: EmailEventOutcome; committed: boolean }> {
    return applyEmailEventWith(this.ctx, { ...ref, mode: "email" }, event, alongside);
  }

  previewRoster(importId: string): Promise<void> {
    return previewRoster(this.ctx, importId);
  }

  applyRoster(importId: string, by: Stamp, skipProblems: boolean): Promise<StartResult> {
    return applyRoster(this.ctx, importId, by, skipProblems);
  }
}
