/**
 * Translate: a message's subject and every mode's text into one language,
 * in one call to the provider. Each field is protected (protect.ts), sent,
 * restored and checked (check.ts); a field whose translation lost or added
 * a merge field or a link, or changed the email's formatting, comes back
 * with its problems, for the step to show. Fields left empty stay empty
 * (an empty plain-text part is made from the translated email at Send).
 */
import { sanitizeEmailHtml } from "../compose/email_html.ts";
import { translationProblems } from "./check.ts";
import { protectHtml, protectText, restoreHtml, restoreText } from "./protect.ts";
import type { SourceContent } from "./source_hash.ts";
import { TranslateError, type Translator } from "./translator.ts";

export const TRANSLATED_FIELDS = ["subject", "emailHtml", "emailText", "text", "voice", "inbox"] as const;
export type TranslatedField = (typeof TRANSLATED_FIELDS)[number];

export interface TranslatedContent {
  fields: SourceContent;
  /** A field's problems in words, for each field that has any. */
  problems: Partial<Record<TranslatedField, string[]>>;
}

/** `source` in `target`; throws TranslateError when the provider cannot (down, over quota, refusing). */
export async function translateContent(
  translator: Translator,
  source: SourceContent,
  languages: { source: string; target: string },
): Promise<TranslatedContent> {
  const clean = { ...source, emailHtml: sanitizeEmailHtml(source.emailHtml) };
  const sent = TRANSLATED_FIELDS.filter((f) => clean[f].trim() !== "");
  const fields: SourceContent = { subject: "", emailHtml: "", emailText: "", text: "", voice: "", inbox: "" };
  const problems: TranslatedContent["problems"] = {};
  if (sent.length === 0) return { fields, problems };
  const texts = sent.map((f) => (f === "emailHtml" ? protectHtml(clean[f]) : protectText(clean[f])));
  const answers = await translator.translate(texts, { ...languages, html: true });
  if (answers.length !== texts.length) {
    throw new TranslateError(`the provider answered ${answers.length} texts for ${texts.length}`, "unavailable");
  }
  for (const [i, f] of sent.entries()) {
    const html = f === "emailHtml";
    fields[f] = html ? sanitizeEmailHtml(restoreHtml(answers[i])) : restoreText(answers[i]);
    const found = translationProblems(clean[f], fields[f], { html, formatting: html });
    if (found.length) problems[f] = found;
  }
  return { fields, problems };
}
