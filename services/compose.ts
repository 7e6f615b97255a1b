/**
 * The three-step wizard behind New Message and Edit Message. What a user
 * types is kept in a KV draft exactly as typed (so back, forward and errors
 * never lose it); each step is validated on the server, and only Send /
 * Update turns the draft into a message, checked against the version the
 * edit started from.
 */
import sanitizeHtml from "sanitize-html";
import { z } from "zod";
import { MERGE_FIELDS, mergeFieldsIn, unknownMergeFields } from "./merge.ts";
import {
  Attachment,
  type AuditEntry,
  type Calendar,
  type District,
  type Message,
  MESSAGE_TYPE_LABEL,
  MessageType,
  Mode,
  MODE_LABEL,
  RECIPIENT_TYPE_LABEL,
  RecipientType,
  type Schedule,
  type User,
} from "./model.ts";
import { chosenIndividuals } from "./recipients.ts";
import { describeSchedule, nextDelivery } from "./recurrence.ts";
import { maySeeMessage, mayUseCalendar } from "./rights.ts";
import { getCalendar } from "./store/district.ts";
import { ConflictError, type Db, getEntity, newId, type Versioned } from "./store/kv.ts";
import { getMessage, saveMessage } from "./store/messages.ts";
import { addDays, fromWall, isCalendarDate, toWall } from "./time.ts";

export const STEPS = ["recipients", "content", "send"] as const;
export type Step = (typeof STEPS)[number];
export const STEP_LABEL: Record<Step, string> = { recipients: "Recipients", content: "Content", send: "Send Options" };

export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export const WEEKDAY_LABEL: Record<string, string> = {
  MO: "Monday",
  TU: "Tuesday",
  WE: "Wednesday",
  TH: "Thursday",
  FR: "Friday",
  SA: "Saturday",
  SU: "Sunday",
};

const bool = z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean());
/** As typed, cut to `max` characters; `cutFields` reports what was cut. */
const str = (max: number) => z.preprocess((v) => (typeof v === "string" ? v.slice(0, max) : ""), z.string());
const list = (max: number) =>
  z.preprocess(
    (v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]).slice(0, 200),
    z.array(str(max)),
  );

/** Fields whose typed value was longer than the form keeps: an error each, never a silent cut. */
export function cutFields(raw: Record<string, unknown>, kept: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [key, value] of Object.entries(kept)) {
    const typed = raw[key];
    if (typeof typed === "string" && typeof value === "string" && typed.length > value.length) {
      errors[key] = `is too long: at most ${value.length.toLocaleString("en-US")} characters (the rest was cut off)`;
    }
  }
  return errors;
}

/** Step 1, as typed. */
export const RecipientsForm = z.object({
  calendarId: str(64),
  types: list(20),
  grades: list(4),
  personIds: list(64),
  oneCopyPerGuardian: bool,
  find: str(100),
});
export type RecipientsForm = z.infer<typeof RecipientsForm>;

/** Content limits: together under KV's 64 KiB per value, even in two-byte characters. */
export const CONTENT_MAX = { subject: 200, emailHtml: 12_000, emailText: 6000, text: 1600, voice: 3000, inbox: 4000 };

/** Step 2, as typed. */
export const ContentForm = z.object({
  subject: str(CONTENT_MAX.subject),
  emailHtml: str(CONTENT_MAX.emailHtml),
  emailText: str(CONTENT_MAX.emailText),
  text: str(CONTENT_MAX.text),
  voice: str(CONTENT_MAX.voice),
  inbox: str(CONTENT_MAX.inbox),
});
export type ContentForm = z.infer<typeof ContentForm>;

/** Step 3, as typed. */
export const SendForm = z.object({
  type: str(20),
  modes: list(10),
  when: z.preprocess((v) => (v === "later" ? "later" : "now"), z.enum(["now", "later"])),
  date: str(10),
  time: str(5),
  time_inbox: str(5),
  time_email: str(5),
  time_text: str(5),
  time_voice: str(5),
  repeat: z.preprocess(
    (v) => (["daily", "weekly", "monthly"].includes(String(v)) ? v : "none"),
    z.enum(["none", "daily", "weekly", "monthly"]),
  ),
  interval: str(3),
  weekdays: list(2),
  monthlyBy: z.preprocess((v) => (v === "weekday" ? "weekday" : "day"), z.enum(["day", "weekday"])),
  monthDay: str(4),
  nth: str(2),
  nthWeekday: str(2),
  ends: z.preprocess((v) => (v === "count" ? "count" : "date"), z.enum(["date", "count"])),
  endDate: str(10),
  count: str(4),
  skipDates: str(4000),
  skipNoSchoolDays: bool,
});
export type SendForm = z.infer<typeof SendForm>;

export const Draft = z.object({
  id: z.string(),
  ownerId: z.string(),
  messageId: z.string(),
  /** Set when editing: the version the edit started from. */
  base: z.object({ versionstamp: z.string(), modifiedBy: z.string(), modifiedAt: z.string() }).optional(),
  recurringAtStart: z.boolean().default(false),
  recipients: RecipientsForm,
  content: ContentForm,
  attachments: z.array(Attachment),
  send: SendForm,
  createdAt: z.number(),
});
export type Draft = z.infer<typeof Draft>;

export const DRAFT_TTL_MS = 24 * 60 * 60 * 1000;
const draftKey = (db: Db, id: string): Deno.KvKey => [db.districtId, "draft", id];

export async function getDraft(db: Db, user: User, id: string): Promise<Draft | null> {
  if (!/^[0-9A-Z]{12}$/.test(id)) return null;
  const draft = await getEntity(db, Draft, draftKey(db, id));
  return draft && draft.value.ownerId === user.id ? draft.value : null;
}

export async function putDraft(db: Db, draft: Draft): Promise<void> {
  await db.kv.set(draftKey(db, draft.id), Draft.parse(draft), { expireIn: DRAFT_TTL_MS });
}

export async function deleteDraft(db: Db, id: string): Promise<void> {
  await db.kv.delete(draftKey(db, id));
}

function emptySend(today: string): SendForm {
  return SendForm.parse({ when: "later", date: addDays(today, 1), time: "08:00", skipNoSchoolDays: "on" });
}

export async function newDraft(
  db: Db,
  user: User,
  calendars: Calendar[],
  district: District,
  now: number,
): Promise<Draft> {
  const today = toWall(now, district.timeZone).date;
  const draft: Draft = {
    id: newId(),
    ownerId: user.id,
    messageId: newId(),
    recurringAtStart: false,
    recipients: RecipientsForm.parse({
      calendarId: calendars.find((c) => mayUseCalendar(user, c.id))?.id ?? "",
      types: user.rights.recipientTypes.includes("guardians") ? ["guardians"] : user.rights.recipientTypes.slice(0, 1),
      oneCopyPerGuardian: "on",
    }),
    content: ContentForm.parse({}),
    attachments: [],
    send: {
      ...emptySend(today),
      type: user.rights.messageTypes[0] ?? "general",
      modes: user.rights.modes.filter((m) => m !== "voice").slice(0, 2),
    },
    createdAt: now,
  };
  await putDraft(db, draft);
  return draft;
}

/** The RRULE's parts back as Send Options fields, for Edit Message. */
function sendFromSchedule(schedule: Schedule, type: string, modes: Mode[]): SendForm {
  const times = schedule.times;
  const first = Object.values(times)[0] ?? "08:00";
  const base: Record<string, unknown> = { type, modes, when: "later", time: first };
  for (const [mode, t] of Object.entries(times)) if (t !== first) base[`time_${mode}`] = t;
  if (schedule.kind === "once") return SendForm.parse({ ...base, date: schedule.date });
  const parts = Object.fromEntries(schedule.rule.split(";").map((p) => p.split("=")));
  const byDay: string = parts.BYDAY ?? "";
  const nth = /^([+-]?\d)(\w\w)$/.exec(byDay);
  return SendForm.parse({
    ...base,
    date: schedule.startDate,
    repeat: String(parts.FREQ ?? "WEEKLY").toLowerCase(),
    interval: parts.INTERVAL ?? "1",
    weekdays: parts.FREQ === "WEEKLY" ? byDay.split(",").filter(Boolean) : [],
    monthlyBy: nth ? "weekday" : "day",
    monthDay: parts.BYMONTHDAY === "-1" ? "last" : parts.BYMONTHDAY ?? "",
    nth: nth ? String(Number(nth[1])) : "",
    nthWeekday: nth ? nth[2] : "",
    ends: parts.COUNT ? "count" : "date",
    count: parts.COUNT ?? "",
    endDate: schedule.endDate ?? "",
    skipDates: schedule.skipDates.join("\n"),
    skipNoSchoolDays: schedule.skipNoSchoolDays ? "on" : "",
  });
}

/** A draft of an existing message, or null when the user may not edit it. */
export async function editDraft(db: Db, user: User, messageId: string, now: number): Promise<Draft | null> {
  const current = await getMessage(db, messageId);
  if (!current || !maySeeMessage(user, current.value) || current.value.nextAt === null) return null;
  const m = current.value;
  const stamp = m.modified ?? m.created;
  const draft: Draft = {
    id: newId(),
    ownerId: user.id,
    messageId,
    base: { versionstamp: current.versionstamp, modifiedBy: stamp.name, modifiedAt: stamp.at },
    recurringAtStart: m.schedule.kind === "recurring",
    recipients: RecipientsForm.parse({
      calendarId: m.calendarId,
      ...m.recipients,
      oneCopyPerGuardian: m.recipients.oneCopyPerGuardian ? "on" : "",
    }),
    content: ContentForm.parse({ subject: m.subject, ...m.content }),
    attachments: m.attachments,
    send: sendFromSchedule(m.schedule, m.type, m.modes),
    createdAt: now,
  };
  await putDraft(db, draft);
  return draft;
}

export type Errors = Record<string, string>;

/** Every refusal for want of a tool right starts so; the route answers those with 403. */
export const NO_RIGHT = "You do not have the right";

export function refusedForRights(errors: Errors): boolean {
  return Object.values(errors).some((m) => m.startsWith(NO_RIGHT));
}

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

const ALLOWED_TAGS = [
  "p",
  "br",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "s",
  "a",
  "ul",
  "ol",
  "li",
  "h1",
  "h2",
  "h3",
  "h4",
  "blockquote",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "hr",
  "span",
  "div",
];

/** Email HTML as it may go out: no scripts, handlers, styles or javascript: links. */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: { a: ["href", "title"], td: ["colspan", "rowspan"], th: ["colspan", "rowspan", "scope"] },
    allowedSchemes: ["http", "https", "mailto", "tel"],
  });
}

/** The plain-text part of an email made from its HTML, when none was typed. */
export function htmlToText(html: string): string {
  return sanitizeHtml(html.replaceAll(/<\/(p|div|h\d|li|tr|blockquote)>|<br\s*\/?>/gi, "\n"), {
    allowedTags: [],
    allowedAttributes: {},
  }).replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll(/\n{3,}/g, "\n\n").trim();
}

const CONTENT_FIELDS = ["emailHtml", "emailText", "text", "voice", "inbox"] as const;
const CONTENT_LABEL: Record<(typeof CONTENT_FIELDS)[number] | "subject", string> = {
  subject: "Subject",
  emailHtml: "Email",
  emailText: "Email (plain text)",
  text: "Text message",
  voice: "Voice script",
  inbox: "Inbox message",
};

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

/**
 * Send Options' dates lie within this many days (five years) of today. The
 * pattern is expanded from its start on every page of the wizard and at
 * every occurrence, so a start in year 0 took seconds, and dates past 9999
 * cannot be shown at all.
 */
const DATE_RANGE_DAYS = 1826;

/** Why a typed date is refused, or undefined; `what` names it in the message. */
function dateProblem(s: string, today: string, what: string): string | undefined {
  if (!isCalendarDate(s)) return `Enter ${what} as YYYY-MM-DD`;
  const [min, max] = [addDays(today, -DATE_RANGE_DAYS), addDays(today, DATE_RANGE_DAYS)];
  if (s < min || s > max) return `Choose ${what} within five years of today, from ${min} to ${max}`;
}
const validTime = (s: string) => /^([01]\d|2[0-3]):[0-5]\d$/.test(s);

/**
 * Step 3: the Send Options as a message type, modes and schedule, or the
 * errors by field. Rights are enforced here, not only hidden in the form.
 */
export function buildSendOptions(
  form: SendForm,
  content: ContentForm,
  user: User,
  district: District,
  calendar: Calendar | null,
  now: number,
): { errors: Errors } | { type: MessageType; modes: Mode[]; schedule: Schedule; sendNow: boolean } {
  const errors: Errors = {};
  const type = MessageType.safeParse(form.type);
  if (!type.success) errors.type = "Choose General, Priority or Emergency";
  else if (!user.rights.messageTypes.includes(type.data)) {
    errors.type = `${NO_RIGHT} to send ${MESSAGE_TYPE_LABEL[type.data]} messages`;
  }
  const modes: Mode[] = [];
  for (const m of form.modes) {
    const mode = Mode.safeParse(m);
    if (!mode.success) errors.modes = `"${m}" is not a delivery mode`;
    else if (!user.rights.modes.includes(mode.data)) {
      errors.modes = `${NO_RIGHT} to send by ${MODE_LABEL[mode.data]}`;
    } else {
      modes.push(mode.data);
      const field = mode.data === "email" ? "emailHtml" : mode.data;
      if (!content[field].trim() && !(mode.data === "email" && content.emailText.trim())) {
        errors.modes = `${MODE_LABEL[mode.data]} is chosen but has no content: write it in step 2, Content`;
      }
    }
  }
  if (form.modes.length === 0) errors.modes = "Choose at least one delivery mode";

  const today = toWall(now, district.timeZone);
  const sendNow = form.when === "now";
  if (sendNow && form.repeat !== "none") errors.when = "A recurring message needs a start date and time";
  const date = sendNow ? today.date : form.date;
  const time = sendNow ? today.time : form.time;
  const dateError = sendNow ? undefined : dateProblem(date, today.date, "a date");
  if (dateError) errors.date = dateError;
  if (!sendNow && !validTime(time)) errors.time = "Enter a time as HH:MM (24-hour)";
  const times: Partial<Record<Mode, string>> = {};
  for (const m of modes) {
    const own = form[`time_${m}`];
    if (own && !sendNow && !validTime(own)) errors[`time_${m}`] = "Enter a time as HH:MM (24-hour)";
    times[m] = own && !sendNow ? own : time;
  }
  if (Object.keys(errors).length > 0) return { errors };

  let schedule: Schedule;
  if (form.repeat === "none") {
    schedule = { kind: "once", date, times };
  } else {
    const rule = [`FREQ=${form.repeat.toUpperCase()}`];
    const interval = form.interval.trim() || "1";
    if (!/^[1-9]\d?$/.test(interval)) errors.interval = "Enter a whole number from 1 to 99";
    else if (interval !== "1") rule.push(`INTERVAL=${interval}`);
    if (form.repeat === "weekly") {
      const days = form.weekdays.filter((d) => (WEEKDAYS as readonly string[]).includes(d));
      if (days.length === 0) errors.weekdays = "Choose at least one day of the week";
      rule.push(`BYDAY=${WEEKDAYS.filter((d) => days.includes(d)).join(",")}`);
    }
    if (form.repeat === "monthly") {
      if (form.monthlyBy === "day") {
        const day = form.monthDay.trim().toLowerCase();
        if (day === "last") rule.push("BYMONTHDAY=-1");
        else if (/^([1-9]|[12]\d|3[01])$/.test(day)) rule.push(`BYMONTHDAY=${day}`);
        else errors.monthDay = 'Enter a day of the month from 1 to 31, or "last"';
      } else {
        if (!/^(-1|[1-4])$/.test(form.nth)) errors.nth = "Choose first, second, third, fourth or last";
        if (!(WEEKDAYS as readonly string[]).includes(form.nthWeekday)) errors.nthWeekday = "Choose a day of the week";
        rule.push(`BYDAY=${form.nth === "-1" ? "-1" : `+${form.nth}`}${form.nthWeekday}`);
      }
    }
    let endDate: string | undefined;
    if (form.ends === "count") {
      if (!/^[1-9]\d{0,2}$/.test(form.count.trim())) errors.count = "Enter a number of occurrences from 1 to 999";
      else rule.push(`COUNT=${form.count.trim()}`);
    } else {
      endDate = form.endDate.trim() || calendar?.endDate;
      const endError = dateProblem(endDate ?? "", today.date, "an end date");
      if (endError) errors.endDate = endError;
      else if (endDate! < date) errors.endDate = "The end date is before the start date";
    }
    const skipDates = form.skipDates.split(/[\n,;]+/).map((d) => d.trim()).filter(Boolean);
    const skipProblem = skipDates
      .map((d) =>
        isCalendarDate(d) ? dateProblem(d, today.date, `the skip date ${d}`) : `"${d}" is not a date as YYYY-MM-DD`
      )
      .find((problem) => problem !== undefined);
    if (skipProblem) errors.skipDates = skipProblem;
    schedule = {
      kind: "recurring",
      rule: rule.join(";"),
      startDate: date,
      endDate,
      times,
      skipDates: [...new Set(skipDates)].sort(),
      skipNoSchoolDays: form.skipNoSchoolDays,
    };
  }
  if (Object.keys(errors).length > 0) return { errors };

  if (!sendNow) {
    const first = Math.min(...Object.values(times).map((t) => fromWall(date, t!, district.timeZone)));
    if (schedule.kind === "once" && first <= now) {
      errors.date = "That date and time is in the past. Choose a later time, or Send Now to send it now";
    }
    if (
      schedule.kind === "recurring" && nextDelivery(schedule, now, district.timeZone, calendar ?? undefined) === null
    ) {
      errors.endDate = "This pattern has no delivery after now: move the end date later or the start earlier";
    }
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { type: type.data!, modes, schedule, sendNow };
}

function describeRecipients(r: Message["recipients"]): string {
  const parts = r.types.map((t) => RECIPIENT_TYPE_LABEL[t]);
  if (r.grades.length) parts.push(`grades ${r.grades.join(", ")}`);
  if (r.personIds.length) parts.push(`${r.personIds.length} individual(s)`);
  if (r.types.includes("guardians")) parts.push(r.oneCopyPerGuardian ? "one copy per guardian" : "a copy per student");
  return parts.join("; ");
}

/** What changed, field by field, for the audit and View Details' history. */
export function diffMessages(before: Message, after: Message): AuditEntry["changes"] {
  const changes: AuditEntry["changes"] = [];
  const add = (field: string, a: string, b: string) => {
    if (a !== b) changes.push({ field, before: a, after: b });
  };
  add("Subject", before.subject, after.subject);
  add("Message type", MESSAGE_TYPE_LABEL[before.type], MESSAGE_TYPE_LABEL[after.type]);
  add(
    "Delivery modes",
    before.modes.map((m) => MODE_LABEL[m]).join(", "),
    after.modes.map((m) => MODE_LABEL[m]).join(", "),
  );
  add("Calendar", before.calendarId, after.calendarId);
  add("Recipients", describeRecipients(before.recipients), describeRecipients(after.recipients));
  const when = (s: Schedule) =>
    `${describeSchedule(s)} ${s.kind === "once" ? s.date : `starting ${s.startDate}`} at ${
      Object.entries(s.times).map(([m, t]) => `${MODE_LABEL[m as Mode]} ${t}`).join(", ")
    }${s.kind === "recurring" && s.skipDates.length ? `; skipping ${s.skipDates.join(", ")}` : ""}`;
  add("Schedule", when(before.schedule), when(after.schedule));
  for (const f of CONTENT_FIELDS) {
    if (before.content[f] !== after.content[f]) {
      changes.push({ field: CONTENT_LABEL[f], before: before.content[f], after: after.content[f] });
    }
  }
  add("Attachments", before.attachments.map((a) => a.name).join(", "), after.attachments.map((a) => a.name).join(", "));
  return changes;
}

export class EditConflict extends Error {
  constructor(readonly by: string, readonly at: string) {
    super(`changed by ${by} at ${at}`);
    this.name = "EditConflict";
  }
}

/**
 * Send / Update: the draft becomes the message. Every step is validated
 * again (a draft can be posted to step 3 directly). Throws EditConflict if
 * someone else saved the message since this edit began.
 */
export async function commitDraft(
  db: Db,
  user: User,
  district: District,
  draft: Draft,
  now: number,
): Promise<{ errors: Errors; step: Step } | { message: Message; sendNow: boolean }> {
  const calendar = await getCalendar(db, draft.recipients.calendarId);
  const r = await checkRecipients(db, draft.recipients, user, calendar);
  if (Object.keys(r).length) return { errors: r, step: "recipients" };
  const c = checkContent(draft.content, draft.recipients);
  if (Object.keys(c).length) return { errors: c, step: "content" };
  const s = buildSendOptions(draft.send, draft.content, user, district, calendar, now);
  if ("errors" in s) return { errors: s.errors, step: "send" };

  const previous = draft.base ? await getMessage(db, draft.messageId) : null;
  if (draft.base && (!previous || !maySeeMessage(user, previous.value))) {
    return { errors: { form: "This message no longer exists: it was canceled or has been sent." }, step: "send" };
  }
  const emailHtml = sanitizeEmailHtml(draft.content.emailHtml);
  const stamp = { userId: user.id, name: user.name, at: new Date(now).toISOString() };
  const message: Message = {
    id: draft.messageId,
    type: s.type,
    subject: draft.content.subject.trim(),
    modes: s.modes,
    content: {
      emailHtml,
      emailText: draft.content.emailText.trim() || htmlToText(emailHtml),
      text: draft.content.text,
      voice: draft.content.voice,
      inbox: draft.content.inbox,
    },
    attachments: s.modes.some((m) => m === "email" || m === "inbox") ? draft.attachments : [],
    calendarId: draft.recipients.calendarId,
    recipients: {
      types: draft.recipients.types as RecipientType[],
      grades: draft.recipients.grades,
      personIds: draft.recipients.types.includes("individuals") ? draft.recipients.personIds : [],
      oneCopyPerGuardian: draft.recipients.oneCopyPerGuardian,
    },
    schedule: s.schedule,
    created: previous?.value.created ?? stamp,
    modified: previous ? stamp : undefined,
    // Send Now is due at once: the scheduler picks it up on its next tick.
    nextAt: s.sendNow ? now : nextDelivery(s.schedule, now, district.timeZone, calendar ?? undefined),
  };
  const versioned: Versioned<Message> | null = previous && draft.base
    ? { value: previous.value, versionstamp: draft.base.versionstamp }
    : null;
  try {
    await saveMessage(db, versioned, message, {
      at: now,
      userId: user.id,
      name: user.name,
      action: previous ? "edited" : s.sendNow ? "created (Send Now)" : "created",
      changes: previous ? diffMessages(previous.value, message) : [],
    });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    const latest = await getMessage(db, draft.messageId);
    const by = latest?.value.modified ?? latest?.value.created;
    throw new EditConflict(by?.name ?? "someone", by?.at ?? "");
  }
  await deleteDraft(db, draft.id);
  return { message, sendNow: s.sendNow };
}

/** Cancel Message / Cancel Series: the message leaves the Scheduled list; the audit keeps who and when. */
export async function cancelScheduled(db: Db, user: User, messageId: string, now: number): Promise<Message | null> {
  const current = await getMessage(db, messageId);
  if (!current || !maySeeMessage(user, current.value)) return null;
  if (current.value.canceled || current.value.nextAt === null) return null;
  const canceled = { userId: user.id, name: user.name, at: new Date(now).toISOString() };
  await saveMessage(db, current, { ...current.value, canceled, nextAt: null }, {
    at: now,
    userId: user.id,
    name: user.name,
    action: current.value.schedule.kind === "recurring" ? "canceled the series" : "canceled",
    changes: [],
  });
  return current.value;
}
