/**
 * Which of a message's languages a recipient gets, and what the message says
 * in it. A message is written in the district's language and may carry
 * translations (`Message.languages`, `Message.translations`); a person whose
 * preferred language matches one of them (the whole tag, else the base
 * language: "es-MX" ↔ "es") gets that one, anyone else the default.
 */
import { htmlToText } from "./compose/email_html.ts";
import type { Content, Message, Mode } from "./model.ts";

type Translated = Pick<Message, "languages" | "translations">;

/** "es-MX" → "es". */
const baseOf = (tag: string) => tag.toLowerCase().split("-")[0];

/**
 * The message's language for someone who prefers `preferred`: one of
 * `message.languages` that has its translation, the same tag first, else the
 * same base language; undefined when none is, and the default content goes.
 */
export function messageLanguageFor(message: Translated, preferred: string | undefined): string | undefined {
  if (!preferred) return undefined;
  const offered = (message.languages ?? []).filter((tag) => message.translations?.[tag]);
  const want = preferred.toLowerCase();
  return offered.find((tag) => tag.toLowerCase() === want) ?? offered.find((tag) => baseOf(tag) === baseOf(want));
}

/** A message in one language: its subject and every mode's content. */
export interface Version {
  subject: string;
  content: Content;
}

/**
 * The message in `language`: its translation when it has one (an empty
 * subject reads as the default's; an empty plain-text email is made from the
 * HTML, as the wizard does for the default), else the default content.
 */
export function versionIn(message: Pick<Message, "subject" | "content"> & Translated, language?: string): Version {
  const t = language ? message.translations?.[language] : undefined;
  if (!t) return { subject: message.subject, content: message.content };
  return {
    subject: t.subject || message.subject,
    content: {
      emailHtml: t.emailHtml,
      emailText: t.emailText || (t.emailHtml ? htmlToText(t.emailHtml) : ""),
      text: t.text,
      voice: t.voice,
      inbox: t.inbox,
    },
  };
}

/** A copy's content in the language its delivery records (the district's, or none on an older one: the default). */
export function versionFor(
  message: Pick<Message, "subject" | "content"> & Translated,
  language: string | undefined,
  districtLanguage: string,
): Version {
  return versionIn(message, language && language !== districtLanguage ? language : undefined);
}

/** Whether a version says anything for this mode. */
export function hasContentFor(version: Version, mode: Mode): boolean {
  const c = version.content;
  const body = mode === "email" ? c.emailHtml || c.emailText : c[mode];
  return body.trim() !== "";
}

/** Every text a message may send, in every language: what its merge fields are looked for in. */
export function allTexts(message: Pick<Message, "subject" | "content"> & Translated): string[] {
  const texts = [message.subject, ...Object.values(message.content)];
  for (const t of Object.values(message.translations ?? {})) {
    texts.push(t.subject, t.emailHtml, t.emailText, t.text, t.voice, t.inbox);
  }
  return texts;
}

const englishNames = new Intl.DisplayNames(["en"], { type: "language", fallback: "code" });

/** A language's name in English, for staff's notes ("Somali", "Mexican Spanish"); the tag when unknown. */
export function englishName(tag: string): string {
  try {
    return englishNames.of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** A mode's content in words, for a note: "the Spanish version has no text message". */
export const MODE_CONTENT: Record<Mode, string> = {
  inbox: "inbox message",
  email: "email",
  text: "text message",
  voice: "voice script",
};
