/**
 * Twilio and Mailgun call these. No session and no CSRF token: a Twilio
 * request is accepted only with a valid X-Twilio-Signature for the exact URL
 * Twilio requested, a Mailgun event only with a valid, fresh signature whose
 * token was never seen before (403 otherwise, nothing changed).
 */
import { Hono } from "hono";
import { z } from "zod";
import { Mode } from "../services/model.ts";
import { validTwilioSignature } from "../services/providers/twilio_signature.ts";
import { MAX_PLAYS } from "../services/providers/twilio_voice.ts";
import { setTextOptOut } from "../services/store/people.ts";
import { noteStopReply } from "../services/bad_contacts.ts";
import type { AppEnv, Ctx } from "./env.ts";
import { MailgunWebhook, readMailgunEvent } from "../services/providers/mailgun_event.ts";
import { verifyMailgunSignature } from "../services/providers/mailgun_signature.ts";
import { claimWebhookToken, stageWebhookToken, unseenWebhookToken } from "../services/store/webhook_tokens.ts";

/**
 * Mailgun's events signed longer ago (or further ahead) than this are refused as stale; tokens are remembered twice
 * as long. An hour, not minutes: Mailgun retries an event we failed to answer 10, 20 and 35 minutes later.
 */
const MAILGUN_MAX_AGE_MS = 60 * 60_000;
const REPLAYED = "Forbidden: this event was already received (replayed token)";

const STOP_WORDS = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]);
const START_WORDS = new Set(["START", "YES", "UNSTOP", "OPTIN"]);
/** The delivery a status callback URL names (Messenger built it; anything else names nothing). */
const CallbackDelivery = z.object({
  r: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/),
  m: Mode,
  // A delivery id is person~student~device, each at most 64 characters.
  id: z.string().min(1).max(200),
});
/** A call's TwiML request: its delivery, and which play of the message (1, then 2… after pressing 1). */
const CallPlay = z.object({
  r: CallbackDelivery.shape.r,
  id: CallbackDelivery.shape.id,
  n: z.coerce.number().int().min(1).max(MAX_PLAYS).default(1),
});
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

async function signedParams(c: Ctx): Promise<Record<string, string> | null> {
  const token = c.var.deps.twilioAuthToken;
  if (!token) return null;
  const body = await c.req.parseBody();
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") params[k] = v;
  const url = new URL(c.req.url);
  const publicUrl = `${c.var.deps.publicUrl}${url.pathname}${url.search}`;
  return validTwilioSignature(token, c.req.header("X-Twilio-Signature"), publicUrl, params) ? params : null;
}

export const webhookRoutes = new Hono<AppEnv>()
  .post("/webhooks/twilio/status", async (c) => {
    const params = await signedParams(c);
    if (!params) return c.text("Forbidden: missing or invalid X-Twilio-Signature", 403);
    const delivery = CallbackDelivery.safeParse(c.req.query());
    if (!delivery.success) return c.text("Bad Request: the callback URL does not name a delivery", 400);
    const { r, m, id } = delivery.data;
    const sid = params.MessageSid ?? params.CallSid ?? "";
    const status = params.MessageStatus ?? params.CallStatus ?? "";
    const result = await c.var.deps.dispatcher.applyStatus(
      { runId: r, mode: m, id },
      sid,
      status,
      params.ErrorCode || undefined,
      params.AnsweredBy || undefined,
    );
    // Unknown deliveries get 200 too: Twilio would only retry, and nothing can change.
    return c.text(result, 200);
  })
  .post("/webhooks/twilio/voice", async (c) => {
    const params = await signedParams(c);
    if (!params) return c.text("Forbidden: missing or invalid X-Twilio-Signature", 403);
    const call = CallPlay.safeParse(c.req.query());
    if (!call.success) return c.text("Bad Request: the TwiML URL does not name a call's delivery", 400);
    const { r, id, n } = call.data;
    const twiml = await c.var.deps.dispatcher.callTwiml({ runId: r, id }, {
      sid: params.CallSid ?? "",
      play: n,
      digits: params.Digits,
      answeredBy: params.AnsweredBy || undefined,
    });
    return c.body(twiml, 200, { "Content-Type": "text/xml" });
  })
  .post("/webhooks/twilio/sms", async (c) => {
    const params = await signedParams(c);
    if (!params) return c.text("Forbidden: missing or invalid X-Twilio-Signature", 403);
    const word = (params.Body ?? "").trim().toUpperCase();
    const from = params.From ?? "";
    if (from && STOP_WORDS.has(word)) {
      await setTextOptOut(c.var.deps.db, from, new Date(c.var.deps.clock.now()).toISOString());
      await noteStopReply(c.var.deps.db, from, c.var.deps.clock.now());
    } else if (from && START_WORDS.has(word)) {
      await setTextOptOut(c.var.deps.db, from, null);
    }
    return c.body(EMPTY_TWIML, 200, { "Content-Type": "text/xml" });
  })
  .post("/webhooks/mailgun", async (c) => {
    const { db, clock, mailgunSigningKey } = c.var.deps;
    const body = MailgunWebhook.safeParse(await c.req.json().catch(() => null));
    const signed = mailgunSigningKey && body.success &&
      await verifyMailgunSignature(mailgunSigningKey, body.data.signature, clock.now(), MAILGUN_MAX_AGE_MS);
    if (!signed || !body.success) return c.text("Forbidden: missing, invalid or stale Mailgun signature", 403);
    const { token } = body.data.signature;
    const ttl = MAILGUN_MAX_AGE_MS * 2;
    const unseen = await unseenWebhookToken(db, "mailgun", token, ttl);
    if (!unseen) return c.text(REPLAYED, 403);
    const read = readMailgunEvent(body.data["event-data"]);
    // Not one of this district's emails: 200 all the same, as Mailgun would only retry and nothing can change.
    if (!read || read.districtId !== db.districtId) {
      return await claimWebhookToken(db, "mailgun", token, ttl) ? c.text("unknown", 200) : c.text(REPLAYED, 403);
    }
    // The token is claimed in the commit that records the event (one commit an event, not two); an event that
    // needs no such commit claims it alone. Of an event and its replay at once, one lands. Should applying throw
    // before that commit, nothing is claimed and Mailgun's retry of the event is no replay.
    const { outcome, committed } = await c.var.deps.dispatcher.applyEmailEventWith(
      { runId: read.runId, id: read.deliveryId },
      read.event,
      (op) => stageWebhookToken(op, unseen),
    );
    if (!committed && !await claimWebhookToken(db, "mailgun", token, ttl)) return c.text(REPLAYED, 403);
    return c.text(outcome, 200);
  });
