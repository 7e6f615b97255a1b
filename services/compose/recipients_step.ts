/** Step 1, Recipients: who may be chosen, checked on the server whatever the form showed. */
import { type Calendar, RECIPIENT_TYPE_LABEL, RecipientType, type User } from "../model.ts";
import { chosenIndividuals } from "../recipients.ts";
import { mayUseCalendar } from "../rights.ts";
import type { Db } from "../store/kv.ts";
import { type Errors, NO_RIGHT } from "./errors.ts";
import type { RecipientsForm } from "./forms.ts";

/**
 * Said the same for an unknown id as for someone elsewhere, and without a
 * name: a refused id must not tell whether, or where, a person exists.
 * The page lists only the people the calendar allows, so Next leaves the
 * others out.
 */
export const NOT_IN_SCHOOL =
  "One or more chosen people are not in this calendar's school, so they are not listed: check who is chosen and continue";

/** The individual people's check, for Find and the preview as well as Next. */
export async function checkIndividuals(db: Db, form: RecipientsForm, calendar: Calendar | null): Promise<Errors> {
  if (!calendar || form.personIds.length === 0) return {};
  const { refused } = await chosenIndividuals(db, form.personIds, calendar);
  return refused > 0 ? { personIds: NOT_IN_SCHOOL } : {};
}

/** Step 1's rules; the checks that need rights and the calendar. */
export async function checkRecipients(
  db: Db,
  form: RecipientsForm,
  user: User,
  calendar: Calendar | null,
): Promise<Errors> {
  const errors: Errors = {};
  if (!form.calendarId) errors.calendarId = "Choose a calendar";
  else if (!calendar || !mayUseCalendar(user, form.calendarId)) {
    errors.calendarId = `${NO_RIGHT} to use this calendar`;
  } else Object.assign(errors, await checkIndividuals(db, form, calendar));
  if (form.types.length === 0) errors.types = "Choose at least one recipient type";
  for (const t of form.types) {
    const parsed = RecipientType.safeParse(t);
    if (!parsed.success) errors.types = `"${t}" is not a recipient type`;
    else if (!user.rights.recipientTypes.includes(parsed.data)) {
      errors.types = `${NO_RIGHT} to send to ${RECIPIENT_TYPE_LABEL[parsed.data]}`;
    }
  }
  if (form.types.includes("individuals") && form.personIds.length === 0) {
    errors.personIds = "Find and tick at least one person, or untick Individual people";
  }
  return errors;
}
