/**
 * Email events: the provider's word on each email after the hand-off
 * (Mailgun's delivered, failed, complained, unsubscribed, opened, clicked),
 * so staff see what arrived, what bounced and what was read, and a complaint
 * or unsubscribe turns off General email for the address.
 *
 * Idempotent and ordered like the Twilio callbacks: delivered and failed are
 * final, a late or repeated event never moves a delivery backwards; only a
 * complaint moves a delivered email to failed (the family said it was
 * spam). A temporary failure leaves the email "sent" (Mailgun retries it)
 * with the reason in its history. Opens and clicks are facts beside the
 * state, like an inbox read.
 */
import {
  advanceDelivery,
  type DeliveryRef,
  getDelivery,
  markEmailOpened,
  moved,
  stageBounceCount,
} from "../store/deliveries.ts";
import { keepEarlyStatus } from "../store/early_statuses.ts";
import { turnOffGeneralEmail } from "../store/people.ts";
import type { DispatchContext } from "./context.ts";
import { noteBadContacts } from "../bad_contacts.ts";

export type EmailEventKind =
  | "accepted"
  | "delivered"
  | "bounced"
  | "deferred"
  | "complained"
  | "unsubscribed"
  | "opened"
  | "clicked";

export interface EmailEvent {
  kind: EmailEventKind;
  /** The provider's id of the send (a Mailgun batch's message id): events of an older attempt are not this one's. */
  providerId: string;
  /** The receiving server's code (550) and words, for a bounce or a deferral. */
  code?: string;
  reason?: string;
}

export type EmailEventOutcome = "applied" | "ignored" | "unknown";

/** How an event reads in a delivery's history and the Recipient Report. */
export function describeEmailEvent(e: EmailEvent): string {
  const said = [e.code, e.reason].filter(Boolean).join(" ");
  switch (e.kind) {
    case "bounced":
      return `bounced: the receiving mail server refused it${said ? ` (${said})` : ""}`;
    case "deferred":
      return `delayed: the receiving mail server asked to try later${said ? ` (${said})` : ""}; Mailgun retries`;
    case "complained":
      return "the recipient marked it as spam: General email to this address is turned off";
    case "unsubscribed":
      return "the recipient unsubscribed: General email to this address is turned off";
    default:
      return e.kind;
  }
}

export async function applyEmailEvent(
  ctx: DispatchContext,
  ref: DeliveryRef,
  event: EmailEvent,
): Promise<EmailEventOutcome> {
  return (await applyEmailEventWith(ctx, ref, event)).outcome;
}

/**
 * Applies the event with `alongside` staged into the commit that records it
 * (the webhook's token claim: one commit per event, not two). `committed`:
 * that commit landed with it; false when the event needed no commit, or
 * another kind (an early event kept, General email turned off).
 */
export async function applyEmailEventWith(
  ctx: DispatchContext,
  ref: DeliveryRef,
  event: EmailEvent,
  alongside: (op: Deno.AtomicOperation) => Deno.AtomicOperation = (op) => op,
): Promise<{ outcome: EmailEventOutcome; committed: boolean }> {
  const landed = { with: false };
  const op = () => alongside(ctx.db.kv.atomic());
  for (let attempt = 0; attempt < 10; attempt++) {
    const outcome = await applyOnce(ctx, ref, event, op, landed);
    if (outcome !== "raced") return { outcome, committed: landed.with };
  }
  return { outcome: "ignored", committed: false };
}

async function applyOnce(
  ctx: DispatchContext,
  ref: DeliveryRef,
  event: EmailEvent,
  op: () => Deno.AtomicOperation,
  landed: { with: boolean },
): Promise<EmailEventOutcome | "raced"> {
  const { db } = ctx;
  /** A move in a commit carrying what goes alongside. */
  const commit = async (...move: Parameters<typeof advanceDelivery>) => {
    const recorded = await advanceDelivery(...move);
    if (recorded) landed.with = true;
    return recorded;
  };
  const current = await getDelivery(db, ref.runId, "email", ref.id);
  if (current?.value.state === "sending" && !current.value.providerId) {
    // The event beat our own record of the send: kept, and applied once the record lands.
    const kept = { sid: event.providerId, status: event.kind, errorCode: event.code, detail: event.reason };
    return (await keepEarlyStatus(db, current, kept)) ? "applied" : "raced";
  }
  if (!current || current.value.providerId !== event.providerId) return "unknown";
  const d = current.value;
  const now = ctx.clock.now();
  const detail = describeEmailEvent(event);
  switch (event.kind) {
    case "opened":
    case "clicked": {
      const marked = await markEmailOpened(db, current, now, event.kind === "clicked", op());
      if (marked === "marked") landed.with = true;
      return marked === null ? "raced" : marked === "marked" ? "applied" : "ignored";
    }
    case "unsubscribed":
      if (d.address) await turnOffGeneralEmail(db, d.address);
      return "applied";
    case "complained": {
      if (d.address) await turnOffGeneralEmail(db, d.address);
      if (d.state === "failed" || d.state === "canceled") return "applied";
      const next = moved(d, "failed", now, detail, {
        providerStatus: "complained",
        errorCode: undefined,
        error: detail,
      });
      return (await commit(db, current, next, op())) ? "applied" : "raced";
    }
    case "accepted":
      return "ignored"; // Our own record of the hand-off already says sent.
  }
  if (d.state !== "sent") return "ignored"; // Delivered, failed and canceled are final.
  if (event.kind === "delivered") {
    const next = moved(d, "delivered", now, detail, {
      providerStatus: "delivered",
      errorCode: undefined,
      error: undefined,
    });
    return (await commit(db, current, next, op())) ? "applied" : "raced";
  }
  // Bounced or deferred: the receiving server's code and words, for support.
  const extra = { providerStatus: event.kind, errorCode: event.code, error: detail };
  if (event.kind === "deferred") {
    return (await commit(db, current, moved(d, "sent", now, detail, extra), op())) ? "applied" : "raced";
  }
  const recorded = await commit(
    db,
    current,
    moved(d, "failed", now, detail, extra),
    stageBounceCount(op(), db, d.runId),
  );
  if (recorded) await noteBadContacts(db, [recorded.value], now);
  return recorded ? "applied" : "raced";
}
