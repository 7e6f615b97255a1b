/**
 * The language of each copy, chosen at Processing and kept on its delivery,
 * so that sending, the call's TwiML (fetched later, and again at each
 * redial) and the Recipient Report all agree on it: the recipient's
 * preferred language when the message has it and says something for the
 * mode (and, for a call, Twilio has a voice for it); else the district's,
 * with a note saying why.
 */
import { englishName, hasContentFor, messageLanguageFor, MODE_CONTENT, versionIn } from "../message_language.ts";
import type { Message, Mode } from "../model.ts";
import { readsIn } from "../providers/twilio_voice.ts";

export interface CopyLanguage {
  language: string;
  /** Set when the recipient's language was passed over: why, in words. */
  note?: string;
}

/**
 * The language of a copy in `mode` for someone who prefers `preferred`.
 * Remembered per mode and preferred language: a district has a few dozen
 * languages and Processing asks once per delivery.
 */
export function copyLanguages(
  message: Pick<Message, "subject" | "content" | "languages" | "translations">,
  districtLanguage: string,
): (mode: Mode, preferred: string | undefined) => CopyLanguage {
  const known = new Map<string, CopyLanguage>();
  const decide = (mode: Mode, preferred: string | undefined): CopyLanguage => {
    const chosen = messageLanguageFor(message, preferred);
    if (!chosen) return { language: districtLanguage };
    const instead = (why: string) => ({
      language: districtLanguage,
      note: `${mode === "voice" ? "read" : "sent"} in ${englishName(districtLanguage)}: ${why}`,
    });
    if (!hasContentFor(versionIn(message, chosen), mode)) {
      return instead(`the ${englishName(chosen)} version has no ${MODE_CONTENT[mode]}`);
    }
    if (mode === "voice" && !readsIn(chosen)) return instead(`Twilio has no ${englishName(chosen)} voice`);
    return { language: chosen };
  };
  return (mode, preferred) => {
    const key = `${mode}|${preferred ?? ""}`;
    let found = known.get(key);
    if (!found) known.set(key, found = decide(mode, preferred));
    return found;
  };
}
