/**
 * Which language a recipient gets a message in. A person's preferred
 * language is read as the language a message is written in: "es-MX" gets
 * the "es" content, "zh-Hant-TW" the "zh-Hant" one (the script matters to a
 * reader, the region does not). No preference, or a tag that is not one,
 * is the district's language; so is a language the message is not sent in.
 */
import { languageName, LANGUAGES } from "../languages.ts";
import { type District, LanguageTag, type Message, type Person } from "../model.ts";

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

/** The language a recipient gets this message in: theirs when the message is sent in it, else the district's. */
export function recipientLanguage(
  person: Pick<Person, "language">,
  message: Pick<Message, "languages">,
  district: Pick<District, "language">,
): string {
  const theirs = messageLanguageOf(person.language);
  return theirs && message.languages?.includes(theirs) ? theirs : defaultLanguage(district);
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
