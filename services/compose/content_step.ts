/** Step 2, Content: the message for each delivery mode, and the merge fields it may use. */
import { MERGE_FIELDS, mergeFieldsIn, unknownMergeFields } from "../merge.ts";
import type { Errors } from "./errors.ts";
import { CONTENT_FIELDS, CONTENT_LABEL, type ContentForm, type RecipientsForm } from "./forms.ts";

export function checkContent(form: ContentForm, recipients: RecipientsForm): Errors {
  const errors: Errors = {};
  if (!form.subject.trim()) errors.subject = "Enter a subject";
  if (CONTENT_FIELDS.every((f) => !form[f].trim())) errors.form = "Write the message for at least one delivery mode";
  const studentless = recipients.types.length > 0 &&
    recipients.types.every((t) => t === "staff" || t === "individuals");
  for (const f of ["subject", ...CONTENT_FIELDS] as const) {
    const unknown = unknownMergeFields(form[f]);
    if (unknown.length > 0) {
      errors[f] = `${CONTENT_LABEL[f]} uses ${unknown.map((u) => `{{${u}}}`).join(", ")}, which ${
        unknown.length > 1 ? "are not merge fields" : "is not a merge field"
      } Messenger knows`;
    } else if (studentless && mergeFieldsIn(form[f]).some((m) => MERGE_FIELDS.get(m)?.needsStudent)) {
      errors[f] = `${CONTENT_LABEL[f]} uses a student field, but the recipients are staff or individuals`;
    }
  }
  return errors;
}
