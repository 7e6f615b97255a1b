/**
 * The languages of a message, on the Content step: the recipients'
 * preferred languages with their counts, which of them are ticked, and
 * each ticked language's own content as typed or translated. A language
 * ticked but left empty falls back to the district's language; a language
 * with content must carry every mode the original has, with the same merge
 * fields and links. Send stores the languages that have content.
 */
import { serialize } from "node:v8";
import { type Calendar, type District, LanguageTag, type Message, Translation } from "../model.ts";
import { countRecipientLanguages } from "../recipient_languages.ts";
import type { Draft } from "../store/drafts.ts";
import type { Db } from "../store/kv.ts";
import { translationProblems } from "../translate/check.ts";
import {
  defaultLanguage,
  isListedLanguage,
  messageLanguageOf,
  staffLanguageName,
} from "../translate/recipient_language.ts";
import { isStale, sourceHash } from "../translate/source_hash.ts";
import { TRANSLATED_FIELDS, type TranslatedField } from "../translate/translate_content.ts";
import { mergeFieldProblem } from "./content_step.ts";
import { htmlToText, sanitizeEmailHtml } from "./email_html.ts";
import type { Errors } from "./errors.ts";
import { CONTENT_LABEL, CONTENT_MAX } from "./forms.ts";
import type { StepBody } from "./steps.ts";

/** What the Content step shows of the languages. */
export interface LanguagesShown {
  /** The district's language: the original's, and every recipient's whose language is not ticked. */
  original: string;
  /** Recipients by preferred language, the original's last (it counts those with no preference too). */
  counts: { tag: string; count: number }[];
  /** The boxes: every language of the recipients, and any ticked one they no longer have. */
  offered: string[];
  ticked: string[];
  /** Ticked languages whose translation was made from content that has changed since. */
  stale: string[];
}

/** The name of a translated field, as its box is called: `tr.es.text`. */
export const fieldName = (tag: string, field: TranslatedField) => `tr.${tag}.${field}`;

/** A translation's field as named in a message: "Spanish, Text message". */
export const fieldLabel = (tag: string, field: TranslatedField) => `${staffLanguageName(tag)}, ${CONTENT_LABEL[field]}`;

/** The ticked languages: as posted, plus any the step has not listed yet; every language before the first post. */
function tickedOf(draft: Draft, present: string[]): string[] {
  if (!draft.languages) return present;
  return [...new Set([...draft.languages, ...present.filter((t) => !draft.languagesOffered.includes(t))])];
}

/** The languages of the recipients as the step shows them, streamed from the selection. */
export async function languagesShown(
  db: Db,
  draft: Draft,
  calendar: Calendar,
  district: District,
): Promise<LanguagesShown> {
  const original = defaultLanguage(district);
  const byLanguage = await countRecipientLanguages(
    db,
    { recipients: { ...draft.recipients, types: draft.recipients.types as never } },
    calendar,
    district,
  );
  const count = (tag: string) => byLanguage.get(tag) ?? 0;
  const order = (a: string, b: string) =>
    count(b) - count(a) || staffLanguageName(a).localeCompare(staffLanguageName(b));
  const present = [...byLanguage.keys()].filter((t) => t !== original && count(t) > 0).sort(order);
  const ticked = tickedOf(draft, present).filter((t) => t !== original).sort(order);
  const offered = [...new Set([...present, ...ticked])].sort(order);
  return {
    original,
    counts: [...present.map((tag) => ({ tag, count: count(tag) })), { tag: original, count: count(original) }],
    offered,
    ticked,
    stale: ticked.filter((t) => hasContent(draft.translations[t]) && isStale(draft.translations[t], draft.content)),
  };
}

export function hasContent(t: Translation | undefined): t is Translation {
  return t !== undefined && TRANSLATED_FIELDS.some((f) => t[f].trim() !== "");
}

/** The languages the message is sent in: those ticked that have content (an empty one falls back). */
export function sentLanguages(draft: Draft, district: District): string[] {
  const original = defaultLanguage(district);
  return (draft.languages ?? Object.keys(draft.translations))
    .filter((t) => t !== original && hasContent(draft.translations[t]));
}

export const emptyTranslation = (): Translation => Translation.parse({ sourceHash: "" });

/**
 * Whether a posted tag names a language Messenger can send in: one it lists,
 * or one a recipient prefers (asked of the selection only for other tags).
 */
export function languageCheck(db: Db, draft: Draft, calendar: Calendar | null, district: District) {
  let theirs: Promise<Set<string>> | undefined;
  return async (tag: string): Promise<string | null> => {
    const language = messageLanguageOf(tag);
    if (!language) return null;
    if (isListedLanguage(language)) return language;
    theirs ??= calendar
      ? countRecipientLanguages(
        db,
        { recipients: { ...draft.recipients, types: draft.recipients.types as never } },
        calendar,
        district,
      ).then((m) => new Set(m.keys()))
      : Promise.resolve(new Set());
    return (await theirs).has(language) ? language : null;
  };
}

const unknown = (tag: string) => `${tag.slice(0, 40)} is not a language Messenger knows`;

/** A translated field's post: `tr.<tag>.<field>`. */
const POSTED = /^tr\.(.+)\.(subject|emailHtml|emailText|text|voice|inbox)$/;

/** Every value of a posted field, as text. */
function values(body: StepBody, name: string): string[] {
  return [body[name] ?? []].flat().filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * The Content step's languages and translations into the draft, as typed.
 * A language tag that is not one (or not one Messenger knows) is an error
 * naming the field; a field over its mode's limit is cut and named with
 * its language. A translation typed into an empty language is made from
 * the content as it is now (its source hash); editing one keeps the hash
 * it had, so a stale translation stays marked until it is translated again
 * or marked up to date.
 */
export async function absorbLanguages(
  known: (tag: string) => Promise<string | null>,
  draft: Draft,
  body: StepBody,
): Promise<Errors> {
  const errors: Errors = {};
  const tags = async (name: string) => {
    const ok: string[] = [];
    for (const tag of values(body, name)) {
      const language = await known(tag);
      if (language) ok.push(language);
      else errors.languages = `Languages: ${unknown(tag)}`;
    }
    return [...new Set(ok)];
  };
  const ticked = await tags("languages");
  const offered = await tags("languagesOffered");
  if (!errors.languages) {
    draft.languages = ticked;
    draft.languagesOffered = offered;
  }
  const hashNow = sourceHash(draft.content);
  const posted = new Map<string, Partial<Record<TranslatedField, string>>>();
  for (const [name, value] of Object.entries(body)) {
    const m = POSTED.exec(name);
    if (!m) continue;
    const language = await known(m[1]);
    if (!language) {
      errors[name] = `${name.slice(0, 80)}: ${unknown(m[1])}`;
      continue;
    }
    const field = m[2] as TranslatedField;
    const typed = [value].flat().find((v): v is string => typeof v === "string") ?? "";
    const max = CONTENT_MAX[field];
    if (typed.length > max) {
      errors[name] = `${fieldLabel(language, field)} is too long: at most ${
        max.toLocaleString("en-US")
      } characters (the rest was cut off)`;
    }
    posted.set(language, { ...posted.get(language), [field]: typed.slice(0, max) });
  }
  const before = draft.translations;
  const after = { ...before };
  for (const [language, fields] of posted) {
    const was = before[language] ?? emptyTranslation();
    const now: Translation = { ...was, ...fields };
    if (!hasContent(was) && hasContent(now)) Object.assign(now, { sourceHash: hashNow, machine: false });
    after[language] = now;
  }
  draft.translations = after;
  if (!fitsOneValue(draft)) {
    draft.translations = before;
    errors.languages = "The message and its translations are too long to keep together: shorten them, or untick a " +
      "language (its recipients then get the original)";
  }
  return errors;
}

/** KV keeps at most 64 KiB in one value, as V8 serializes it: a draft and a message must each fit. */
export function fitsOneValue(value: unknown): boolean {
  return serialize(value).byteLength <= 65_536 - 512;
}

const MODES_OF = ["emailHtml", "text", "voice", "inbox"] as const;

/**
 * The rules of a language that is sent, at Next and at Send: a subject, each
 * mode the original has, merge fields that can be filled for these
 * recipients, and the original's merge fields and links, no more, no fewer.
 */
export function checkTranslations(draft: Draft, district: District): Errors {
  const errors: Errors = {};
  const source = draft.content;
  const original = staffLanguageName(defaultLanguage(district));
  const plainOf = (c: { emailHtml: string; emailText: string }) =>
    c.emailText.trim() || htmlToText(sanitizeEmailHtml(c.emailHtml));
  for (const tag of sentLanguages(draft, district)) {
    const t = draft.translations[tag];
    const name = staffLanguageName(tag);
    if (!t.subject.trim()) errors[fieldName(tag, "subject")] = `${name}: enter a subject`;
    for (const f of MODES_OF) {
      // The email is there if either part is: the box to name is the one the original uses.
      const has = (c: typeof source) => f === "emailHtml" ? (c.emailHtml + c.emailText).trim() : c[f].trim();
      const box = f === "emailHtml" && !source.emailHtml.trim() ? "emailText" : f;
      if (has(source) && !has(t)) {
        errors[fieldName(tag, box)] = `${fieldLabel(tag, box)} is empty, but the original has one: translate it, ` +
          `type it, or untick ${name} (its recipients then get ${original})`;
      }
    }
    for (const f of TRANSLATED_FIELDS) {
      if (errors[fieldName(tag, f)] || !t[f].trim()) continue;
      const merge = mergeFieldProblem(t[f], fieldLabel(tag, f), draft.recipients);
      const html = f === "emailHtml";
      const [from, to] = f === "emailText"
        ? [plainOf(source), t.emailText]
        : html
        ? [sanitizeEmailHtml(source.emailHtml), sanitizeEmailHtml(t.emailHtml)]
        : [source[f], t[f]];
      const kept = translationProblems(from, to, { html });
      if (merge) errors[fieldName(tag, f)] = merge;
      else if (kept.length) errors[fieldName(tag, f)] = `${fieldLabel(tag, f)}: the translation ${kept.join("; ")}`;
    }
  }
  return errors;
}

/** The languages and their content as the message keeps them: emails sanitized, plain parts made, subjects trimmed. */
export function messageLanguages(
  draft: Draft,
  district: District,
): { languages?: string[]; translations?: Record<string, Translation> } {
  const languages = sentLanguages(draft, district).filter((t) => LanguageTag.safeParse(t).success);
  if (!languages.length) return {};
  const translations: Record<string, Translation> = {};
  for (const tag of languages) {
    const t = draft.translations[tag];
    const emailHtml = sanitizeEmailHtml(t.emailHtml);
    translations[tag] = {
      ...t,
      subject: t.subject.trim(),
      emailHtml,
      emailText: t.emailText.trim() || htmlToText(emailHtml),
    };
  }
  return { languages, translations };
}

/**
 * The draft as the message Send would store: the email sanitized, its plain
 * part made when empty, the ticked languages that have content.
 */
export function draftAsMessage(
  draft: Draft,
  district: District,
): Pick<Message, "subject" | "content" | "languages" | "translations"> {
  const { subject, ...content } = draft.content;
  const emailHtml = sanitizeEmailHtml(content.emailHtml);
  return {
    subject,
    content: { ...content, emailHtml, emailText: content.emailText.trim() || htmlToText(emailHtml) },
    ...messageLanguages(draft, district),
  };
}
