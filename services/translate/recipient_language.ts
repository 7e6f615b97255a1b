/**
 * A recipient's preferred language as the language of a message, as the
 * wizard counts and offers them: "es-MX" reads as "es", "zh-Hant-TW" as
 * "zh-Hant" (the script matters to a reader, the region does not). No
 * preference, or a tag that is not one, is the district's language.
 * Dispatch picks a copy's language by the same rule (the whole tag, else
 * its base language: services/message_language.ts).
 */
import { languageName, LANGUAGES } from "../languages.ts";
import { type District, LanguageTag } from "../model.ts";

/** A preferred language as the tag of a message's language: "es-MX" → "es"; null for none or not a tag. */
export function messageLanguageOf(tag: string | undefined): string | null {
  if (!tag || !LanguageTag.safeParse(tag).success) return null;
  const [primary, ...rest] = tag.split("-");
  const script = rest.find((s) => /^[a-zA-Z]{4}$/.test(s));
  return script ? `${primary.toLowerCase()}-${script[0].toUpperCase()}${script.slice(1).toLowerCase()}` : primary
    .toLowerCase();
}

/** The district's language, as a message's language tag. */
export function defaultLanguage(district: Pick<District, "language">): string {
  return messageLanguageOf(district.language) ?? "en";
}

/** Whether Messenger offers this language (the preferences page's list); other tags come only from people. */
export function isListedLanguage(tag: string): boolean {
  return LANGUAGES.some((l) => l.code !== "" && l.code === messageLanguageOf(tag));
}

/** A language's name as staff read it: "Spanish", "Hmong", "Tagalog"; an unlisted tag as itself. */
export function staffLanguageName(tag: string): string {
  const name = languageName(tag);
  return /\(([^)]+)\)$/.exec(name)?.[1] ?? name;
}
