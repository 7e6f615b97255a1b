/**
 * Bodies are read into memory, so each is limited before anything reads it:
 * the wizard's content step may carry the attachments plus the text, a roster
 * export is one large upload, and every other form is small.
 */
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { formatBytes, MAX_ATTACHMENT_BYTES } from "../services/attachments.ts";
import { MAX_UPLOAD_BYTES } from "../services/roster/csv.ts";

export const FORM_BYTES = 256 * 1024;
export const WIZARD_BYTES = MAX_ATTACHMENT_BYTES + 1024 * 1024;

function tooLarge(c: Context) {
  return c.text(
    `The upload is too large: attachments may be ${
      formatBytes(MAX_ATTACHMENT_BYTES)
    } per message in all. Nothing was changed.`,
    413,
  );
}

export const formLimit = bodyLimit({ maxSize: FORM_BYTES, onError: tooLarge });
export const wizardLimit = bodyLimit({ maxSize: WIZARD_BYTES, onError: tooLarge });
/** A 50,000-student district's export is about 30 MB. */
export const rosterUploadLimit = bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: tooLarge });
