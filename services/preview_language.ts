/**
 * A preview in its recipient's language: the Content step's merge sample,
 * staff's family view of a scheduled message and Send a test to me show a
 * message as one real recipient gets it, so each mode is in the language
 * dispatch would choose for them (services/dispatch/language.ts: the
 * recipient's when the message has it and says something for the mode,
 * else the district's), and the preview says which.
 */
import { copyLanguages } from "./dispatch/language.ts";
import { messageLanguageFor, versionFor } from "./message_language.ts";
import { type Content, type District, type Message, type Mode, MODES } from "./model.ts";
import { defaultLanguage, messageLanguageOf, staffLanguageName } from "./translate/recipient_language.ts";

type Translatable = Pick<Message, "subject" | "content" | "languages" | "translations">;

export interface LanguagePreview {
  /** The preview's language: the recipient's when the message has it, else the district's. */
  language: string;
  /**
   * Which language, as the preview says it: "in Spanish", "in English: there
   * is no Somali version"; "" when neither the message nor the recipient has
   * any language but the district's (nothing to tell).
   */
  inLanguage: string;
  subject: string;
  /** Each mode's content in the language its copy goes in. */
  content: Content;
  /** Each mode's language, where it is not `language`: the district's, where the recipient's has nothing for it. */
  modeLanguage: Partial<Record<Mode, string>>;
  /** Why a mode is not in the recipient's language after all: "read in English: Twilio has no Somali voice". */
  notes: Partial<Record<Mode, string>>;
}

/** `message` as someone who prefers `preferred` gets it. */
export function previewIn(
  message: Translatable,
  preferred: string | undefined,
  district: Pick<District, "language">,
): LanguagePreview {
  const original = defaultLanguage(district);
  const chosen = messageLanguageFor(message, preferred);
  const language = chosen ?? original;
  const languageOf = copyLanguages(message, district.language);
  const content: Content = { ...message.content };
  const modeLanguage: LanguagePreview["modeLanguage"] = {};
  const notes: LanguagePreview["notes"] = {};
  for (const mode of MODES) {
    const copy = languageOf(mode, preferred);
    const v = versionFor(message, copy.language, district.language).content;
    if (mode === "email") Object.assign(content, { emailHtml: v.emailHtml, emailText: v.emailText });
    else content[mode] = v[mode];
    // The district's language as a message's language tag ("en-US" reads as "en").
    const copyLanguage = copy.language === district.language ? original : copy.language;
    if (copyLanguage !== language) modeLanguage[mode] = copyLanguage;
    if (copy.note) notes[mode] = copy.note;
  }
  const wanted = messageLanguageOf(preferred);
  const translated = (message.languages ?? []).some((t) => message.translations?.[t]);
  const inLanguage = chosen
    ? `in ${staffLanguageName(chosen)}`
    : wanted && wanted !== original
    ? `in ${staffLanguageName(original)}: there is no ${staffLanguageName(wanted)} version`
    : translated
    ? `in ${staffLanguageName(original)}`
    : "";
  return {
    language,
    inLanguage,
    subject: versionFor(message, chosen, district.language).subject,
    content,
    modeLanguage,
    notes,
  };
}
