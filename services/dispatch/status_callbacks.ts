/**
 * Status callbacks: Twilio's word on each text and call after the hand-off
 * (delivered, failed, busy, no answer). Busy and no-answer calls are
 * redialed; a STOP (21610) marks the number opted out of texts. A call's
 * result (person, machine, no answer, busy) is recorded on its delivery.
 */
import { errorMeaning, lookUp } from "../providers/error_meanings.ts";
import { advanceDelivery, type Delivery, type DeliveryRef, getDelivery, moved } from "../store/deliveries.ts";
import { deleteEarlyStatus, getEarlyStatuses, keepEarlyStatus } from "../store/early_statuses.ts";
import { setTextOptOut } from "../store/people.ts";
import type { DispatchContext } from "./context.ts";
import { stageNewJob } from "../store/jobs.ts";
import { newJob, priorityOf } from "./jobs.ts";
import { getRun } from "../store/runs.ts";
import { applyEmailEvent, type EmailEventKind } from "./email_events.ts";
import { answeredAs } from "../providers/twilio_voice.ts";
import { noteBadContacts } from "../bad_contacts.ts";

const DEFAULT_REDIAL = { attempts: 3, intervalMs: 10 * 60 * 1000 };

/** Twilio statuses in the order they happen: a late, earlier one never undoes a later one. */
const TEXT_STATUS: Record<string, "sent" | "delivered" | "failed" | "canceled" | undefined> = {
  sent: "sent",
  delivered: "delivered",
  undelivered: "failed",
  failed: "failed",
  canceled: "canceled",
};

type Outcome = "applied" | "ignored" | "unknown";

/**
 * A status callback for one delivery. Idempotent: a repeated or late
 * callback that would not move the delivery forward changes nothing. A
 * callback that loses a race (the send's record, or another callback,
 * landed between its read and its write) reads again and applies itself to
 * what is there now, so no outcome is lost.
 */
export async function applyStatus(
  ctx: DispatchContext,
  ref: DeliveryRef,
  sid: string,
  status: string,
  errorCode?: string,
  /** Twilio's AnsweredBy for a call (its TwiML request carries it, with the status "in-progress"). */
  answeredBy?: string,
): Promise<Outcome> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const outcome = await applyOnce(ctx, ref, sid, status, errorCode, answeredBy);
    if (outcome !== "raced") return outcome;
  }
  return "ignored";
}

async function applyOnce(
  ctx: DispatchContext,
  ref: DeliveryRef,
  sid: string,
  status: string,
  errorCode?: string,
  answeredBy?: string,
): Promise<Outcome | "raced"> {
  const { db } = ctx;
  const current = await getDelivery(db, ref.runId, ref.mode, ref.id);
  if (current?.value.state === "sending" && !current.value.providerId) {
    // The provider answered the callback before our own record of the send
    // landed: keep it; applyEarlyStatuses applies it right after the send is
    // recorded. Checked against the delivery as read, so a record landing
    // in between (which has already looked for early statuses) sends this
    // callback round again instead of leaving it unread.
    return (await keepEarlyStatus(db, current, { sid, status, errorCode, answeredBy })) ? "applied" : "raced";
  }
  if (!current || current.value.providerId !== sid) return "unknown";
  const d = current.value;
  const now = ctx.clock.now();
  const detail = errorCode
    ? `${status} (${errorCode}: ${errorMeaning(errorCode) ?? "see Twilio's error list"})`
    : status;
  const answered = answeredAs(answeredBy);
  if (answered && d.state === "delivered" && d.callResult === "unknown") {
    // Who answered, kept while the send was being recorded and applied only after the call's end had come.
    const next = moved(d, d.state, now, `${status}, AnsweredBy ${answeredBy}`, { callResult: answered });
    return (await advanceDelivery(db, current, next)) ? "applied" : "raced";
  }
  if (d.state === "delivered" || d.state === "failed" || d.state === "canceled" || d.state === "redial") {
    return "ignored";
  }
  if (errorCode === "21610" && d.address) await setTextOptOut(db, d.address, new Date(now).toISOString());
  const extra = { providerStatus: status, errorCode, error: errorCode ? errorMeaning(errorCode) : undefined };
  if (ref.mode === "text") {
    const next = lookUp(TEXT_STATUS, status);
    if (!next || (next === "sent" && d.state === "sent")) return "ignored";
    const recorded = await advanceDelivery(db, current, moved(d, next, now, detail, extra));
    if (recorded) await noteBadContacts(db, [recorded.value], now);
    return recorded ? "applied" : "raced";
  }
  if (status === "completed") {
    // Answered: by whom as this call's TwiML request (or this callback) said; an earlier call's busy is history.
    const callResult = answered ?? (d.callResult === "human" || d.callResult === "machine" ? d.callResult : "unknown");
    const next = moved(d, "delivered", now, detail, { ...extra, callResult });
    return (await advanceDelivery(db, current, next)) ? "applied" : "raced";
  }
  if (status === "busy" || status === "no-answer") {
    const redial = ctx.options.redial ?? DEFAULT_REDIAL;
    const missed: Partial<Delivery> = { ...extra, callResult: status };
    if (d.attempts >= redial.attempts) {
      const last = moved(d, "failed", now, `${detail}; no more redials`, missed);
      return (await advanceDelivery(db, current, last)) ? "applied" : "raced";
    }
    const at = now + redial.intervalMs;
    const run = await getRun(db, ref.runId);
    const priority = run ? priorityOf(run.value) : undefined;
    const op = stageNewJob(db.kv.atomic(), db, newJob("send", ref.runId, at, "voice", { priority }));
    const next = moved(d, "redial", now, `${detail}; redial at ${new Date(at).toISOString()}`, {
      ...missed,
      notBefore: at,
    });
    return (await advanceDelivery(db, current, next, op)) ? "applied" : "raced";
  }
  if (status === "failed" || status === "canceled") {
    const recorded = await advanceDelivery(db, current, moved(d, status, now, detail, extra));
    if (recorded) await noteBadContacts(db, [recorded.value], now);
    return recorded ? "applied" : "raced";
  }
  if (answered && d.callResult !== answered) {
    // In progress: someone or something answered and Twilio asked for the TwiML.
    const next = moved(d, d.state, now, `${status}, AnsweredBy ${answeredBy}`, { callResult: answered });
    return (await advanceDelivery(db, current, next)) ? "applied" : "raced";
  }
  return "ignored"; // queued, ringing, in-progress: nothing final yet.
}

/**
 * Sending calls this once a batch of texts, calls or (with Mailgun) emails is recorded, for
 * callbacks that came first: one read per ten deliveries, not one each.
 */
export async function applyEarlyStatuses(ctx: DispatchContext, refs: DeliveryRef[]): Promise<void> {
  const early = await getEarlyStatuses(ctx.db, refs);
  await Promise.all(refs.map(async (ref, i) => {
    if (early[i].length === 0) return;
    await deleteEarlyStatus(ctx.db, ref);
    for (const kept of early[i]) {
      if (ref.mode === "email") {
        const kind = kept.status as EmailEventKind;
        await applyEmailEvent(ctx, ref, { kind, providerId: kept.sid, code: kept.errorCode, reason: kept.detail });
      } else await applyStatus(ctx, ref, kept.sid, kept.status, kept.errorCode, kept.answeredBy);
    }
  }));
}
