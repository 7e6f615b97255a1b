/**
 * A translation is stale when the content it was made from has changed
 * since. Each translation keeps the hash of that content (`sourceHash`),
 * taken of the content as it is sent: the subject trimmed, the email
 * sanitized and its plain part made from it when none was typed, line ends
 * as "\n". So a draft and the message it becomes hash alike, and saving
 * without a change marks nothing stale.
 */
import { createHash } from "node:crypto";
import { htmlToText, sanitizeEmailHtml } from "../compose/email_html.ts";

export interface SourceContent {
  subject: string;
  emailHtml: string;
  emailText: string;
  text: string;
  voice: string;
  inbox: string;
}

/** The hash a translation made from this content keeps. */
export function sourceHash(c: SourceContent): string {
  const emailHtml = sanitizeEmailHtml(c.emailHtml);
  const fields = [
    c.subject,
    emailHtml,
    c.emailText.trim() ? c.emailText : htmlToText(emailHtml),
    c.text,
    c.voice,
    c.inbox,
  ].map((f) => f.replaceAll("\r\n", "\n").trim());
  return createHash("sha256").update(JSON.stringify(fields)).digest("base64url");
}

/** Made from other content than this: it may be out of date. */
export function isStale(translation: { sourceHash: string }, source: SourceContent): boolean {
  return translation.sourceHash !== sourceHash(source);
}
