/**
 * Moving through the wizard: a step's post is kept in the draft as typed;
 * going forward checks the step; Find, the preview and a reload check only
 * what they show.
 */
import { checkUploads } from "../attachments.ts";
import type { Calendar, District, User } from "../model.ts";
import { mayUseCalendar } from "../rights.ts";
import { saveAttachmentBytes } from "../store/attachments.ts";
import { getCalendar, listCalendars } from "../store/district.ts";
import type { Draft } from "../store/drafts.ts";
import type { Db } from "../store/kv.ts";
import { toWall } from "../time.ts";
import type { Translator } from "../translate/translator.ts";
import { checkContent } from "./content_step.ts";
import type { Errors } from "./errors.ts";
import { ContentForm, cutFields, RecipientsForm, SendForm, type Step } from "./forms.ts";
import { absorbLanguages, checkTranslations, languageCheck } from "./languages.ts";
import { checkIndividuals, checkRecipients } from "./recipients_step.ts";
import { buildSendOptions, editSkipDates } from "./send_options.ts";

/** Who is at the wizard, in which district, and when: what a step's checks and extras depend on. */
export interface WizardContext {
  db: Db;
  user: User;
  district: District;
  now: number;
  /** The machine-translation provider, when one is configured. */
  translator?: Translator;
}

/** A step's posted form, files included. */
export type StepBody = Record<string, string | File | (string | File)[]>;

/** The calendars the user may send from. */
export async function usableCalendars(db: Db, user: User): Promise<Calendar[]> {
  return (await listCalendars(db)).filter((cal) => mayUseCalendar(user, cal.id));
}

/** The draft's calendar, if the user may use it. */
export async function usableCalendar(db: Db, user: User, draft: Draft): Promise<Calendar | null> {
  const calendar = draft.recipients.calendarId ? await getCalendar(db, draft.recipients.calendarId) : null;
  return calendar && mayUseCalendar(user, calendar.id) ? calendar : null;
}

/** Find, the preview and a reload say so too when a chosen person is refused, not only Next. */
export async function shownErrors(db: Db, user: User, draft: Draft, step: Step): Promise<Errors> {
  if (step !== "recipients") return {};
  return checkIndividuals(db, draft.recipients, await usableCalendar(db, user, draft));
}

/** Stores the posted fields of a step into the draft, exactly as typed; Send Options' skip dates as edited. */
export async function absorbStep(
  { db, user, district, now }: WizardContext,
  draft: Draft,
  step: Step,
  body: StepBody,
): Promise<Errors> {
  if (step === "recipients") {
    draft.recipients = RecipientsForm.parse(body);
    return cutFields(body, draft.recipients);
  }
  if (step === "send") {
    draft.send = SendForm.parse(body);
    const cut = cutFields(body, draft.send);
    if (Object.keys(cut).length) return cut;
    return editSkipDates(draft.send, String(body.go ?? ""), toWall(now, district.timeZone).date);
  }
  draft.content = ContentForm.parse(body);
  const known = languageCheck(db, draft, await usableCalendar(db, user, draft), district);
  const cut = { ...cutFields(body, draft.content), ...await absorbLanguages(known, draft, body) };
  if (Object.keys(cut).length) return cut;
  const remove = new Set([body.remove ?? []].flat().map(String));
  draft.attachments = draft.attachments.filter((a) => !remove.has(a.id));
  const files = [body.files ?? []].flat().filter((f): f is File => f instanceof File && f.name !== "");
  if (files.length === 0) return {};
  const checked = checkUploads(draft.attachments, files);
  if ("problem" in checked) return { attachments: checked.problem };
  for (const [i, a] of checked.accepted.entries()) {
    await saveAttachmentBytes(db, draft.messageId, a, new Uint8Array(await files[i].arrayBuffer()));
  }
  draft.attachments.push(...checked.accepted);
  return {};
}

/** The message this draft edits was sent outside quiet hours: its editor may keep that without the right. */
export function keptOutsideQuietHours(draft: Draft): boolean {
  return draft.base?.outsideQuietHours === true;
}

/** A step's rules, before the wizard moves forward from it. */
export async function checkStep(
  { db, user, district, now }: WizardContext,
  draft: Draft,
  step: Step,
): Promise<Errors> {
  const calendar = draft.recipients.calendarId ? await getCalendar(db, draft.recipients.calendarId) : null;
  if (step === "recipients") return checkRecipients(db, draft.recipients, user, calendar);
  if (step === "content") {
    return { ...checkContent(draft.content, draft.recipients), ...checkTranslations(draft, district) };
  }
  const built = buildSendOptions(
    draft.send,
    draft.content,
    user,
    district,
    calendar,
    now,
    keptOutsideQuietHours(draft),
  );
  return "errors" in built ? built.errors : {};
}
