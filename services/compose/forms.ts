/**
 * The three steps of New Message and Edit Message, and their forms as typed.
 * A draft keeps what a user typed exactly so (back, forward and errors never
 * lose it); the steps' checks decide later what it means.
 */
import { z } from "zod";

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

/** The buttons that show the step again, brought up to date, instead of moving on: the skip dates' Remove too. */
export function redrawsStep(go: string): boolean {
  return ["preview", "find", "skip-add"].includes(go) || go.startsWith(UNSKIP);
}

/** Prefix of a skip date's Remove button value: `unskip:2026-12-08`. */
export const UNSKIP = "unskip:";

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

export const CONTENT_FIELDS = ["emailHtml", "emailText", "text", "voice", "inbox"] as const;
export const CONTENT_LABEL: Record<(typeof CONTENT_FIELDS)[number] | "subject", string> = {
  subject: "Subject",
  emailHtml: "Email",
  emailText: "Email (plain text)",
  text: "Text message",
  voice: "Voice script",
  inbox: "Inbox message",
};

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
  /** The dates to skip, one per line: a hidden field per date in the form, the old text box's lines in a draft. */
  skipDates: z.preprocess((v) => (Array.isArray(v) ? v.join("\n") : v), str(4000)),
  /** The date input of "Skip a date": added to the list by any post of the step, so a date typed is never lost. */
  skipDate: str(10),
  skipNoSchoolDays: bool,
  /** Send outside quiet hours: a tool right's (or kept, on Edit Message, from a message that had it). */
  outsideQuietHours: bool,
});
export type SendForm = z.infer<typeof SendForm>;
