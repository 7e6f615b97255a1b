/**
 * The demo district's messages, as data: what a school's Upcoming Messages
 * looks like on a normal week (one-time and recurring, every type and mode,
 * several authors), and the past ones whose runs fill In Progress. Days
 * count from today, so the demo is always current (a subject that names its
 * weekday takes the next such day instead); `untilYearEnd` ends a series with
 * its calendar's school year.
 */
import type { MessageType, Mode, RecipientType } from "../model.ts";

/** Days from today, or the first `next` weekday after today (0 Sunday … 6 Saturday). */
export type DemoDay = number | { next: number };

export type DemoLogin = "admin" | "office" | "teacher" | "comms";
export type DemoSchool = "lincoln" | "washington" | "roosevelt";

export interface DemoMessage {
  id: string;
  type: MessageType;
  subject: string;
  modes: Mode[];
  school: DemoSchool;
  to: RecipientType[];
  grades?: string[];
  /** One copy per student for guardians (the contacts limit off). */
  perStudent?: boolean;
  schedule:
    | { kind: "once"; inDays: DemoDay; times: Partial<Record<Mode, string>> }
    | {
      kind: "recurring";
      rule: string;
      startInDays: number;
      untilYearEnd?: boolean;
      times: Partial<Record<Mode, string>>;
      skipInDays?: number[];
      skipNoSchoolDays: boolean;
    };
  by: DemoLogin;
  modifiedBy?: DemoLogin;
  /** A PDF flyer attached. */
  attach?: boolean;
}

/** Scheduled messages: the Scheduled tab of Upcoming Messages. */
export const SCHEDULED: DemoMessage[] = [
  {
    id: "msg-early-release",
    type: "general",
    subject: "Early release Friday",
    modes: ["email", "text", "voice"],
    school: "lincoln",
    to: ["guardians"],
    schedule: { kind: "once", inDays: { next: 5 }, times: { email: "07:30", text: "07:30", voice: "18:00" } },
    by: "office",
    modifiedBy: "admin",
  },
  {
    id: "msg-attendance",
    type: "general",
    subject: "Weekly attendance summary",
    modes: ["inbox", "email"],
    school: "lincoln",
    to: ["guardians"],
    grades: ["3"],
    schedule: {
      kind: "recurring",
      rule: "FREQ=WEEKLY;BYDAY=MO",
      startInDays: -20,
      untilYearEnd: true,
      times: { inbox: "07:00", email: "07:00" },
      skipNoSchoolDays: true,
    },
    by: "teacher",
  },
  {
    id: "msg-field-trip",
    type: "general",
    subject: "Field trip permission slips due",
    modes: ["email", "text"],
    school: "lincoln",
    to: ["guardians", "students"],
    grades: ["4"],
    perStudent: true,
    schedule: { kind: "once", inDays: 5, times: { email: "15:00", text: "15:00" } },
    by: "teacher",
    attach: true,
  },
  {
    id: "msg-lunch",
    type: "priority",
    subject: "Lunch account balance low",
    modes: ["text", "email"],
    school: "washington",
    to: ["guardians"],
    schedule: {
      kind: "recurring",
      rule: "FREQ=WEEKLY;BYDAY=MO,TH",
      startInDays: -3,
      times: { text: "16:30", email: "16:30" },
      skipInDays: [7],
      skipNoSchoolDays: true,
    },
    by: "admin",
    modifiedBy: "comms",
  },
  {
    id: "msg-concert",
    type: "general",
    subject: "Winter concert tickets",
    modes: ["inbox", "email"],
    school: "roosevelt",
    to: ["students", "guardians"],
    schedule: { kind: "once", inDays: 9, times: { inbox: "09:00", email: "09:00" } },
    by: "comms",
    attach: true,
  },
  {
    id: "msg-weather-drill",
    type: "emergency",
    subject: "Severe weather drill notice",
    modes: ["voice", "text", "email"],
    school: "roosevelt",
    to: ["guardians", "staff"],
    schedule: { kind: "once", inDays: 3, times: { voice: "06:15", text: "06:15", email: "06:15" } },
    by: "admin",
  },
  {
    id: "msg-newsletter",
    type: "general",
    subject: "Washington monthly newsletter",
    modes: ["email", "inbox"],
    school: "washington",
    to: ["guardians", "students", "staff"],
    schedule: {
      kind: "recurring",
      rule: "FREQ=MONTHLY;BYDAY=+2TU",
      startInDays: -40,
      untilYearEnd: true,
      times: { email: "08:00", inbox: "08:00" },
      skipNoSchoolDays: false,
    },
    by: "comms",
    modifiedBy: "admin",
    attach: true,
  },
  {
    id: "msg-absence",
    type: "priority",
    subject: "Daily absence call",
    modes: ["voice", "text"],
    school: "roosevelt",
    to: ["guardians"],
    grades: ["9", "10"],
    perStudent: true,
    schedule: {
      kind: "recurring",
      rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
      startInDays: -60,
      untilYearEnd: true,
      times: { voice: "10:00", text: "10:00" },
      skipNoSchoolDays: true,
    },
    by: "admin",
  },
  {
    id: "msg-staff-meeting",
    type: "general",
    subject: "Staff meeting moved to the library",
    modes: ["email", "inbox"],
    school: "lincoln",
    to: ["staff"],
    schedule: { kind: "once", inDays: 1, times: { email: "12:00", inbox: "12:00" } },
    by: "office",
  },
  {
    id: "msg-reading-log",
    type: "general",
    subject: "Reading log reminder",
    modes: ["inbox", "text"],
    school: "lincoln",
    to: ["guardians"],
    grades: ["2"],
    schedule: {
      kind: "recurring",
      rule: "FREQ=WEEKLY;BYDAY=TH",
      startInDays: 1,
      times: { inbox: "18:30", text: "18:30" },
      skipNoSchoolDays: true,
    },
    by: "teacher",
    modifiedBy: "teacher",
  },
];

/** Past one-time messages, whose runs are on the In Progress tab (see DEMO_RUNS). */
export const PAST: DemoMessage[] = [
  {
    id: "msg-bus-delay",
    type: "priority",
    subject: "Bus 14 running 20 minutes late",
    modes: ["text", "voice"],
    school: "lincoln",
    to: ["guardians"],
    grades: ["K", "1"],
    schedule: { kind: "once", inDays: 0, times: { text: "00:00", voice: "00:00" } },
    by: "office",
  },
  {
    id: "msg-picture-day",
    type: "general",
    subject: "Picture day retakes",
    modes: ["email", "inbox"],
    school: "washington",
    to: ["guardians"],
    schedule: { kind: "once", inDays: 0, times: { email: "00:00", inbox: "00:00" } },
    by: "comms",
  },
  {
    id: "msg-spelling",
    type: "general",
    subject: "Spelling bee results",
    modes: ["email", "text"],
    school: "lincoln",
    to: ["guardians"],
    grades: ["5"],
    schedule: { kind: "once", inDays: 0, times: { email: "00:00", text: "00:00" } },
    by: "teacher",
  },
  {
    id: "msg-gym",
    type: "general",
    subject: "Gym closed for floor refinishing",
    modes: ["email"],
    school: "roosevelt",
    to: ["students", "staff"],
    schedule: { kind: "once", inDays: -3, times: { email: "09:00" } },
    by: "admin",
  },
  {
    id: "msg-old-failure",
    type: "general",
    subject: "Book fair volunteers",
    modes: ["email"],
    school: "lincoln",
    to: ["guardians"],
    schedule: { kind: "once", inDays: -10, times: { email: "09:00" } },
    by: "office",
  },
];
