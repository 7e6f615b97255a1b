/**
 * What a call says, as TwiML: the message, then "Press 1 to hear this
 * message again" inside a <Gather numDigits="1">, at most MAX_PLAYS times in
 * all, then a goodbye. An answering machine (Twilio's AnsweredBy, after the
 * greeting's beep with MachineDetection=DetectMessageEnd) gets the message
 * once: nobody is there to press 1. A call in a language other than English
 * is read by that language's voice (SAY_VOICES), prompts included.
 */
import type twilio from "twilio";
import type { CallResult } from "../store/deliveries.ts";

/** The message is heard at most this many times in one call: the first and two repeats. */
export const MAX_PLAYS = 3;
export const REPEAT_PROMPT = "Press 1 to hear this message again.";
export const GOODBYE = "Goodbye.";

/** `<Say>`'s attributes as the official twilio library types them: its own list of Twilio's languages and voices. */
type SayAttributes = Parameters<InstanceType<typeof twilio.twiml.VoiceResponse>["say"]>[0];

/** A language Twilio reads aloud: `<Say language voice>`, and the call's prompts in that language. */
export interface SayVoice {
  language: NonNullable<SayAttributes["language"]>;
  voice: NonNullable<SayAttributes["voice"]>;
  repeat: string;
  goodbye: string;
}

const SPANISH = { repeat: "Oprima 1 para escuchar este mensaje otra vez.", goodbye: "Adiós." };
const FRENCH = { repeat: "Appuyez sur 1 pour réécouter ce message.", goodbye: "Au revoir." };
const PORTUGUESE = { repeat: "Pressione 1 para ouvir esta mensagem novamente.", goodbye: "Até logo." };
const TRADITIONAL_CHINESE = { repeat: "如需再聽一遍此訊息，請按1。", goodbye: "再見。" };
const FILIPINO = { repeat: "Pindutin ang 1 para marinig muli ang mensaheng ito.", goodbye: "Paalam." };

/**
 * Every language a call can be read in besides English, by IETF tag (lower
 * case; a tag not listed is looked up without its last subtag, so "es-MX"
 * finds "es"). Twilio reads `<Say>` in a language only with a voice that
 * speaks it, and fails the `<Say>` for a pair that does not match (TwiML
 * `<Say>` and Text-to-Speech, twilio.com/docs/voice/twiml/say/text-speech):
 * so each has both, an Amazon Polly standard voice where Polly has the
 * language (Polly's voice list: es-MX Mia, es-US Lupe, es-ES Conchita, arb
 * Zeina, cmn-CN Zhiyu, fr-FR Céline, fr-CA Chantal, pt-BR Camila, pt-PT Inês,
 * ru-RU Tatyana, ko-KR Seoyeon), else a Google standard voice (vi-VN, fil-PH,
 * cmn-TW). Both columns are typed with the twilio library's own SayLanguage
 * and SayVoice, so `deno check` refuses a code Twilio does not list. Twilio
 * has no voice for Somali, Hmong or Haitian Creole: such a call is read in
 * the district's language (see `readsIn`). English needs no entry: it is
 * Twilio's own default (en-US), read in the voice the account chose.
 */
const SAY_VOICES: Readonly<Record<string, SayVoice>> = {
  es: { language: "es-MX", voice: "Polly.Mia", ...SPANISH },
  "es-us": { language: "es-US", voice: "Polly.Lupe", ...SPANISH },
  "es-es": { language: "es-ES", voice: "Polly.Conchita", ...SPANISH },
  vi: {
    language: "vi-VN",
    voice: "Google.vi-VN-Standard-A",
    repeat: "Nhấn phím 1 để nghe lại tin nhắn này.",
    goodbye: "Tạm biệt.",
  },
  ar: {
    language: "arb",
    voice: "Polly.Zeina",
    repeat: "اضغط 1 للاستماع إلى هذه الرسالة مرة أخرى.",
    goodbye: "مع السلامة.",
  },
  zh: { language: "cmn-CN", voice: "Polly.Zhiyu", repeat: "如需再听一遍此消息，请按1。", goodbye: "再见。" },
  "zh-hant": { language: "cmn-TW", voice: "Google.cmn-TW-Standard-A", ...TRADITIONAL_CHINESE },
  "zh-tw": { language: "cmn-TW", voice: "Google.cmn-TW-Standard-A", ...TRADITIONAL_CHINESE },
  fr: { language: "fr-FR", voice: "Polly.Celine", ...FRENCH },
  "fr-ca": { language: "fr-CA", voice: "Polly.Chantal", ...FRENCH },
  pt: { language: "pt-BR", voice: "Polly.Camila", ...PORTUGUESE },
  "pt-pt": { language: "pt-PT", voice: "Polly.Ines", ...PORTUGUESE },
  ru: {
    language: "ru-RU",
    voice: "Polly.Tatyana",
    repeat: "Нажмите 1, чтобы прослушать это сообщение ещё раз.",
    goodbye: "До свидания.",
  },
  ko: {
    language: "ko-KR",
    voice: "Polly.Seoyeon",
    repeat: "이 메시지를 다시 들으시려면 1번을 누르세요.",
    goodbye: "안녕히 계세요.",
  },
  // Filipino is the standard form of Tagalog.
  tl: { language: "fil-PH", voice: "Google.fil-PH-Standard-A", ...FILIPINO },
  fil: { language: "fil-PH", voice: "Google.fil-PH-Standard-A", ...FILIPINO },
};

const isEnglish = (tag: string) => tag.toLowerCase().split("-")[0] === "en";

/** The voice a call in `tag` is read by; undefined for English (Twilio's default voice) and for a language Twilio does not speak. */
export function sayVoiceFor(tag: string | undefined): SayVoice | undefined {
  if (!tag || isEnglish(tag)) return undefined;
  const parts = tag.toLowerCase().split("-");
  for (let n = parts.length; n > 0; n--) {
    const voice = SAY_VOICES[parts.slice(0, n).join("-")];
    if (voice) return voice;
  }
  return undefined;
}

/** Whether Twilio can read a call in `tag`. */
export const readsIn = (tag: string): boolean => isEnglish(tag) || sayVoiceFor(tag) !== undefined;

/** "Press 1 to hear this message again." in the call's language. */
export const repeatPrompt = (voice?: SayVoice): string => voice?.repeat ?? REPEAT_PROMPT;

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>';

const xml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

const say = (text: string, voice?: SayVoice) =>
  voice ? `<Say language="${voice.language}" voice="${voice.voice}">${xml(text)}</Say>` : `<Say>${xml(text)}</Say>`;
const ending = (voice?: SayVoice) => `${say(voice?.goodbye ?? GOODBYE, voice)}<Hangup/>`;

/**
 * One play of the message, in `voice` (none: Twilio's default, English).
 * `repeatUrl` is where Twilio posts the key pressed (Digits) to hear it
 * again; none on the last play or for a machine.
 */
export function messageTwiml(script: string, repeatUrl?: string, voice?: SayVoice): string {
  if (!repeatUrl) return `${PROLOG}<Response>${say(script, voice)}${ending(voice)}</Response>`;
  // Without a key press the Gather times out and the call goes on to the goodbye.
  const gather = `<Gather numDigits="1" action="${xml(repeatUrl)}" method="POST">${say(script, voice)}${
    say(repeatPrompt(voice), voice)
  }</Gather>`;
  return `${PROLOG}<Response>${gather}${ending(voice)}</Response>`;
}

/** A key other than 1, or nothing more to play. */
export const goodbyeTwiml = (voice?: SayVoice): string => `${PROLOG}<Response>${ending(voice)}</Response>`;

/** A call whose delivery is unknown (or whose person has left the roster): nothing to say. */
export const hangupTwiml = (): string => `${PROLOG}<Response><Hangup/></Response>`;

/** The script read once, inline in the call's create request: a call that no delivery's webhook serves. */
export const inlineTwiml = (script: string, voice?: SayVoice): string => `<Response>${say(script, voice)}</Response>`;

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
