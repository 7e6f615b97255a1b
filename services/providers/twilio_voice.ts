/**
 * What a call says, as TwiML: the message, then "Press 1 to hear this
 * message again" inside a <Gather numDigits="1">, at most MAX_PLAYS times in
 * all, then a goodbye. An answering machine (Twilio's AnsweredBy, after the
 * greeting's beep with MachineDetection=DetectMessageEnd) gets the message
 * once: nobody is there to press 1.
 */
import type { CallResult } from "../store/deliveries.ts";

/** The message is heard at most this many times in one call: the first and two repeats. */
export const MAX_PLAYS = 3;
export const REPEAT_PROMPT = "Press 1 to hear this message again.";
export const GOODBYE = "Goodbye.";

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>';

const xml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

const say = (text: string) => `<Say>${xml(text)}</Say>`;
const ending = `${say(GOODBYE)}<Hangup/>`;

/**
 * One play of the message. `repeatUrl` is where Twilio posts the key
 * pressed (Digits) to hear it again; none on the last play or for a machine.
 */
export function messageTwiml(script: string, repeatUrl?: string): string {
  if (!repeatUrl) return `${PROLOG}<Response>${say(script)}${ending}</Response>`;
  // Without a key press the Gather times out and the call goes on to the goodbye.
  const gather = `<Gather numDigits="1" action="${xml(repeatUrl)}" method="POST">${say(script)}${
    say(REPEAT_PROMPT)
  }</Gather>`;
  return `${PROLOG}<Response>${gather}${ending}</Response>`;
}

/** A key other than 1, or nothing more to play. */
export const goodbyeTwiml = (): string => `${PROLOG}<Response>${ending}</Response>`;

/** A call whose delivery is unknown (or whose person has left the roster): nothing to say. */
export const hangupTwiml = (): string => `${PROLOG}<Response><Hangup/></Response>`;

/** The script read once, inline in the call's create request: a call that no delivery's webhook serves. */
export const inlineTwiml = (script: string): string => `<Response>${say(script)}</Response>`;

/**
 * Twilio's AnsweredBy (human, machine_start, machine_end_beep,
 * machine_end_silence, machine_end_other, fax, unknown) as a call result;
 * undefined when the request carried none.
 */
export function answeredAs(answeredBy: string | undefined): CallResult | undefined {
  if (!answeredBy) return undefined;
  if (answeredBy === "human") return "human";
  if (answeredBy.startsWith("machine_") || answeredBy === "fax") return "machine";
  return "unknown";
}
