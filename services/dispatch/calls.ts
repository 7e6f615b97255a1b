/**
 * A call's TwiML, served to Twilio at the call's URL (routes/webhooks.ts):
 * the message merged for the delivery's recipient with "Press 1 to hear this
 * message again", each repeat asked for by the key press posted to the
 * Gather's action. Nothing is stored for it: the URL names the delivery and
 * the play, and the script is rendered again from the run's message, as the
 * send rendered it, in the language Processing chose for the delivery (read
 * by that language's voice). The first request also says who answered
 * (AnsweredBy), which is recorded on the delivery.
 */
import { renderMerge } from "../merge.ts";
import { versionFor } from "../message_language.ts";
import {
  answeredAs,
  goodbyeTwiml,
  hangupTwiml,
  MAX_PLAYS,
  messageTwiml,
  type SayVoice,
  sayVoiceFor,
} from "../providers/twilio_voice.ts";
import { type DeliveryRef, getDelivery } from "../store/deliveries.ts";
import { getCalendar, getDistrict, listSchools } from "../store/district.ts";
import { getPeople } from "../store/people.ts";
import { getRunMessage } from "../store/runs.ts";
import type { DispatchContext } from "./context.ts";
import { mergeOf, voiceUrl } from "./sending.ts";
import { applyStatus } from "./status_callbacks.ts";

/** What Twilio's request for a call's TwiML says. */
export interface CallRequest {
  /** Twilio's CallSid. */
  sid: string;
  /** Which play of the message this request is for: 1 when the call is answered, then 2… after a key press. */
  play: number;
  /** The key pressed at the previous play's prompt. */
  digits?: string;
  answeredBy?: string;
}

export async function callTwiml(
  ctx: DispatchContext,
  ref: Omit<DeliveryRef, "mode">,
  req: CallRequest,
): Promise<string> {
  const voice: DeliveryRef = { ...ref, mode: "voice" };
  if (req.play === 1 && req.answeredBy) {
    await applyStatus(ctx, voice, req.sid, "in-progress", undefined, req.answeredBy);
  }
  const script = await voiceScript(ctx, voice);
  if (script === null) return hangupTwiml();
  if (req.play > 1 && req.digits !== "1") return goodbyeTwiml(script.voice);
  // A machine records the message once after its beep; a person may hear it MAX_PLAYS times in all.
  const last = answeredAs(req.answeredBy) === "machine" || req.play >= MAX_PLAYS;
  return messageTwiml(script.text, last ? undefined : voiceUrl(ctx, ref, req.play + 1), script.voice);
}

/**
 * The delivery's voice script as its send rendered it, and the voice that
 * reads it; null when the delivery, run or person is gone.
 */
async function voiceScript(ctx: DispatchContext, ref: DeliveryRef): Promise<{ text: string; voice?: SayVoice } | null> {
  const { db } = ctx;
  const [delivery, message, district] = await Promise.all([
    getDelivery(db, ref.runId, "voice", ref.id),
    getRunMessage(db, ref.runId),
    getDistrict(db),
  ]);
  if (!delivery || !message || !district) return null;
  const calendar = await getCalendar(db, message.calendarId);
  const school = (await listSchools(db)).find((s) => s.id === calendar?.schoolId) ?? { id: "", name: "" };
  const people = await getPeople(db, [delivery.value.personId, ...delivery.value.studentIds]);
  const merge = mergeOf(delivery.value, { school, district }, people);
  if (!merge) return null;
  const { language } = delivery.value;
  const { content } = versionFor(message, language, district.language);
  return { text: renderMerge(content.voice, merge), voice: sayVoiceFor(language) };
}
