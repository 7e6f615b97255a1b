/**
 * The domain's shapes. Every value read back from KV is parsed with these
 * schemas, so a record written by an older version fails loudly at the
 * boundary instead of deep inside a page.
 */
import { z } from "zod";
import { ruleProblem } from "./rule.ts";

export const MODES = ["inbox", "email", "text", "voice"] as const;
export const Mode = z.enum(MODES);
export type Mode = z.infer<typeof Mode>;
export const MODE_LABEL: Record<Mode, string> = {
  inbox: "Inbox",
  email: "Email",
  text: "Text",
  voice: "Voice",
};

export const MESSAGE_TYPES = ["general", "priority", "emergency"] as const;
export const MessageType = z.enum(MESSAGE_TYPES);
export type MessageType = z.infer<typeof MessageType>;
export const MESSAGE_TYPE_LABEL: Record<MessageType, string> = {
  general: "General",
  priority: "Priority",
  emergency: "Emergency",
};

export const RECIPIENT_TYPES = [
  "students",
  "guardians",
  "staff",
  "individuals",
] as const;
export const RecipientType = z.enum(RECIPIENT_TYPES);
export type RecipientType = z.infer<typeof RecipientType>;
export const RECIPIENT_TYPE_LABEL: Record<RecipientType, string> = {
  students: "Students",
  guardians: "Guardians / contacts",
  staff: "Staff",
  individuals: "Individual people",
};

const id = z.string().min(1).max(64);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");
const hhmm = z.string().regex(
  /^([01]\d|2[0-3]):[0-5]\d$/,
  "expected HH:MM (24-hour)",
);

/** An IETF language tag as preferences and the roster give it: "es", "es-MX", "hmn", "zh-Hant". */
export const LanguageTag = z.string().max(35).regex(
  /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/,
  "is not a language tag (like es, so or zh-Hant)",
);

/** A new district's sending rules, until an administrator changes them in District settings. */
export const DISTRICT_DEFAULTS = {
  language: "en",
  dialingWindow: { start: "07:00", end: "21:00" },
  textWindow: { start: "08:00", end: "21:00" },
  largeSendThreshold: 1000,
};

export const District = z.object({
  id,
  name: z.string(),
  timeZone: z.string(),
  /** Voice calls for General and Priority messages only within this window. */
  dialingWindow: z.object({ start: hhmm, end: hhmm }),
  /** Quiet hours for texts: General and Priority texts only within this window (the usual TCPA guidance). */
  textWindow: z.object({ start: hhmm, end: hhmm }).default(DISTRICT_DEFAULTS.textWindow),
  /** The language messages are written in, and sent in to anyone whose language a message does not have. */
  language: LanguageTag.default("en"),
  /** A send to more recipients than this asks the sender to type the count before it goes. */
  largeSendThreshold: z.number().int().min(1).default(DISTRICT_DEFAULTS.largeSendThreshold),
});
export type District = z.infer<typeof District>;

export const School = z.object({
  id,
  name: z.string(),
  /** The number this school's calls come from (E.164); TWILIO_FROM when unset. */
  callerId: z.string().optional(),
});
export type School = z.infer<typeof School>;

export const Calendar = z.object({
  id,
  schoolId: id,
  name: z.string(),
  schoolYear: z.string(),
  startDate: isoDate,
  endDate: isoDate,
  noSchoolDays: z.array(z.object({ date: isoDate, reason: z.string() })),
});
export type Calendar = z.infer<typeof Calendar>;

export const ToolRights = z.object({
  modes: z.array(Mode),
  messageTypes: z.array(MessageType),
  recipientTypes: z.array(RecipientType),
  viewEditAll: z.boolean(),
  /** Calendar ids the user may address; "all" for every calendar. */
  calendars: z.union([z.literal("all"), z.array(id)]),
  admin: z.boolean(),
  /** May choose to send General and Priority texts and calls now, outside quiet hours (audited). */
  outsideQuietHours: z.boolean().default(false),
});
export type ToolRights = z.infer<typeof ToolRights>;

export const User = z.object({
  id,
  login: z.string(),
  name: z.string(),
  title: z.string().default(""),
  passwordHash: z.string(),
  rights: ToolRights,
  disabled: z.boolean().default(false),
  /** Raised when a password reset or losing every right must end the user's sessions. */
  sessionEpoch: z.number().int().nonnegative().default(0),
  /** The user's own record on the roster (a Person of kind "staff"), when an administrator linked it. */
  personId: z.string().min(1).max(64).optional(),
});
export type User = z.infer<typeof User>;

export const Device = z.object({
  id,
  kind: z.enum(["email", "phone"]),
  address: z.string(),
  /** Phone may receive texts. */
  text: z.boolean().default(false),
  general: z.boolean(),
  priority: z.boolean(),
  emergency: z.boolean(),
  /** Set when the number replied STOP: no texts until START. */
  textOptOutAt: z.string().optional(),
});
export type Device = z.infer<typeof Device>;

export const Person = z.object({
  id,
  kind: z.enum(["student", "guardian", "staff"]),
  firstName: z.string(),
  lastName: z.string(),
  schoolIds: z.array(id),
  grade: z.string().optional(),
  /** For guardians: the students they are a contact for. */
  studentIds: z.array(id).default([]),
  /** Preferred language (BCP 47, e.g. "es"), as the family chose it or, until they do, as the roster gives it. */
  language: z.string().max(20).optional(),
  /**
   * When the family (on their preferences page, or the office for them on
   * /admin/people) last changed the language: from then on a roster import
   * never changes it.
   */
  languageChosenAt: z.string().optional(),
  /** The language came from the roster (OneRoster `metadata.language`): the next import may change it. */
  languageFromRoster: z.boolean().optional(),
  devices: z.array(Device),
  /**
   * Set when the roster import no longer lists the person: they receive
   * nothing more (no school or phone index entries), but the record stays
   * so the Sent Message Log and Recipient Reports still name them.
   */
  removedAt: z.string().optional(),
});
export type Person = z.infer<typeof Person>;

export const RecipientSelection = z.object({
  types: z.array(RecipientType),
  grades: z.array(z.string()).default([]),
  personIds: z.array(id).default([]),
  /** Contacts message limit: a guardian of several students gets one copy. */
  oneCopyPerGuardian: z.boolean().default(true),
});
export type RecipientSelection = z.infer<typeof RecipientSelection>;

export const ModeTimes = z.partialRecord(Mode, hhmm);
export type ModeTimes = z.infer<typeof ModeTimes>;

export const Schedule = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("once"), date: isoDate, times: ModeTimes }),
  z.object({
    kind: z.literal("recurring"),
    /** RFC 5545 RRULE body without DTSTART, e.g. FREQ=WEEKLY;BYDAY=MO, in the subset Messenger supports. */
    rule: z.string().check((ctx) => {
      const problem = ruleProblem(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
    }),
    startDate: isoDate,
    endDate: isoDate.optional(),
    times: ModeTimes,
    skipDates: z.array(isoDate).default([]),
    skipNoSchoolDays: z.boolean().default(false),
  }),
]);
export type Schedule = z.infer<typeof Schedule>;

export const Attachment = z.object({
  id,
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
});
export type Attachment = z.infer<typeof Attachment>;

export const Content = z.object({
  emailHtml: z.string().default(""),
  emailText: z.string().default(""),
  text: z.string().default(""),
  voice: z.string().default(""),
  inbox: z.string().default(""),
});
export type Content = z.infer<typeof Content>;

/**
 * A message's content in one more language: its subject and every mode's
 * text. `sourceHash` is the default-language content's hash when it was
 * made: a later edit of that content marks it stale. `machine`: made by the
 * translation provider (then perhaps edited), not typed by staff.
 */
export const Translation = Content.extend({
  subject: z.string().default(""),
  sourceHash: z.string(),
  machine: z.boolean().default(false),
});
export type Translation = z.infer<typeof Translation>;

const Stamp = z.object({ userId: id, name: z.string(), at: z.string() });
export type Stamp = z.infer<typeof Stamp>;

export const Message = z.object({
  id,
  type: MessageType,
  subject: z.string(),
  modes: z.array(Mode).min(1),
  content: Content,
  attachments: z.array(Attachment).default([]),
  calendarId: id,
  recipients: RecipientSelection,
  schedule: Schedule,
  created: Stamp,
  modified: Stamp.optional(),
  /** Set by Cancel Message / Cancel Series; the record stays for its history. */
  canceled: Stamp.optional(),
  /** The sender chose Send outside quiet hours: General and Priority texts and calls go at their time. */
  outsideQuietHours: z.boolean().optional(),
  /**
   * Languages besides the district's default that this message is sent in,
   * each with its content in `translations`: a recipient whose preferred
   * language is one of them gets it in that language, anyone else the default.
   */
  languages: z.array(LanguageTag).optional(),
  translations: z.record(z.string(), Translation).optional(),
  /** Instant (ms) of the next delivery; null once nothing is left to send. */
  nextAt: z.number().nullable(),
});
export type Message = z.infer<typeof Message>;

/** What a list entry needs, kept in the index values so a page is one read. */
export const MessageSummary = Message.pick({
  id: true,
  type: true,
  subject: true,
  modes: true,
  calendarId: true,
  created: true,
  modified: true,
  nextAt: true,
  outsideQuietHours: true,
}).extend({
  recurring: z.boolean(),
  hasAttachment: z.boolean(),
  times: ModeTimes,
  pattern: z.string().optional(),
});
export type MessageSummary = z.infer<typeof MessageSummary>;

export const RUN_STATUSES = [
  "processing",
  "sending",
  "canceling",
  "failed",
  "completed",
  "canceled",
] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;
export const RUN_STATUS_LABEL: Record<RunStatus, string> = {
  processing: "Processing",
  sending: "Sending",
  canceling: "Canceling",
  failed: "Failed",
  completed: "Sent",
  canceled: "Canceled",
};
export const DELIVERY_RESULTS = [
  "pending",
  "sent",
  "delivered",
  "failed",
  "canceled",
  "redial",
] as const;
export const DeliveryResult = z.enum(DELIVERY_RESULTS);
export type DeliveryResult = z.infer<typeof DeliveryResult>;
export const ModeCounts = z.partialRecord(
  DeliveryResult,
  z.number().int().nonnegative(),
);
export type ModeCounts = z.infer<typeof ModeCounts>;

export const Run = z.object({
  /** Also the Message ID support quotes: short, unambiguous, on View Details. */
  id,
  messageId: id,
  occurrenceDate: isoDate,
  message: MessageSummary,
  status: RunStatus,
  counts: z.partialRecord(Mode, ModeCounts),
  error: z.object({ reason: z.string(), stage: z.string(), detail: z.string() })
    .optional(),
  transitions: z.array(
    z.object({ status: RunStatus, at: z.number(), by: z.string().optional() }),
  ),
  startedAt: z.number(),
  /** Recipients Processing left out per mode, and why (a preference or STOP; no device for the mode). */
  excluded: z.partialRecord(Mode, z.object({ noDevice: z.number(), optedOut: z.number() })).optional(),
  /** Retry links: the failed run this one retries, and the run that retried this one. */
  retryOf: z.string().optional(),
  retriedBy: z.string().optional(),
});
export type Run = z.infer<typeof Run>;

export const FAILED_VISIBLE_MS = 7 * 24 * 60 * 60 * 1000;

export const AuditEntry = z.object({
  at: z.number(),
  userId: id,
  name: z.string(),
  action: z.string(),
  changes: z.array(
    z.object({ field: z.string(), before: z.string(), after: z.string() }),
  ).default([]),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
