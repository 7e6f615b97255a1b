/** Step 2, Content: the message for each delivery mode, and the merge fields it may use. */
import { MERGE_FIELDS, mergeFieldsIn, unknownMergeFields } from "../merge.ts";
import type { Errors } from "./errors.ts";
import { CONTENT_FIELDS, CONTENT_LABEL, type ContentForm, type RecipientsForm } from "./forms.ts";

/** Staff and individuals only: nobody to fill a student field for. */
export function studentless(recipients: RecipientsForm): boolean {
  return recipients.types.length > 0 && recipients.types.every((t) => t === "staff" || t === "individuals");
}

/** Why a field's merge fields cannot be filled for these recipients (`label` names the field), or undefined. */
export function mergeFieldProblem(text: string, label: string, recipients: RecipientsForm): string | undefined {
  const unknown = unknownMergeFields(text);
  if (unknown.length > 0) {
    return `${label} uses ${unknown.map((u) => `{{${u}}}`).join(", ")}, which ${
      unknown.length > 1 ? "are not merge fields" : "is not a merge field"
    } Messenger knows`;
  }
  if (studentless(recipients) && mergeFieldsIn(text).some((m) => MERGE_FIELDS.get(m)?.needsStudent)) {
    return `${label} uses a student field, but the recipients are staff or individuals`;
  }
}

export function checkContent(form: ContentForm, recipients: RecipientsForm): Errors {
  const errors: Errors = {};
  if (!form.subject.trim()) errors.subject = "Enter a subject";
  if (CONTENT_FIELDS.every((f) => !form[f].trim())) errors.form = "Write the message for at least one delivery mode";
  for (const f of ["subject", ...CONTENT_FIELDS] as const) {
    const problem = mergeFieldProblem(form[f], CONTENT_LABEL[f], recipients);
    if (problem) errors[f] = problem;
  }
  return errors;
}
