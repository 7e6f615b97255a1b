/**
 * The demo district: what `deno task start` shows on an empty database.
 * Seeded from a fixed random seed, so every start (and every test) sees the
 * same people; dates are relative to the clock, so the school year and the
 * scheduled messages are always current.
 */
import { hashPassword } from "./auth.ts";
import { ADMIN_RIGHTS } from "./rights.ts";
import type { Attachment, Calendar, District, Message, Run, ToolRights, User } from "./model.ts";
import { getDistrict, saveCalendar, saveDistrict } from "./store/district.ts";
import type { Db } from "./store/kv.ts";
import { saveAttachmentBytes } from "./store/attachments.ts";
import { saveMessage, summarize } from "./store/messages.ts";
import { getPerson, savePerson } from "./store/people.ts";
import { importNow } from "./roster/import.ts";
import { ROSTER_FILES, type RosterFileName } from "./roster/csv.ts";
import { z } from "zod";
import { runMessageKey, saveRun } from "./store/runs.ts";
import { started, transition } from "./dispatch/run_status.ts";
import { setRunCounts } from "./store/deliveries.ts";
import { createUser } from "./store/users.ts";
import { computeNextAt } from "./messages.ts";
import { addDays, type Clock, toWall } from "./time.ts";

export const DEMO_ACCOUNTS = [
  {
    login: "admin",
    password: "demo-admin",
    name: "Dana Whitfield",
    title: "District administrator",
  },
  {
    login: "office",
    password: "demo-office",
    name: "Marcus Lee",
    title: "Lincoln Elementary office",
  },
  {
    login: "teacher",
    password: "demo-teacher",
    name: "Priya Natarajan",
    title: "Teacher, Lincoln Elementary",
  },
  {
    login: "comms",
    password: "demo-comms",
    name: "Elena Ruiz",
    title: "District communications",
  },
] as const;

export const SCHOOLS = [
  {
    id: "lincoln",
    name: "Lincoln Elementary",
    grades: ["K", "1", "2", "3", "4", "5"],
  },
  {
    id: "washington",
    name: "Washington Middle School",
    grades: ["6", "7", "8"],
  },
  {
    id: "roosevelt",
    name: "Roosevelt High School",
    grades: ["9", "10", "11", "12"],
  },
];

/** The n-th given weekday (0 = Sunday) of a month, as YYYY-MM-DD. */
export function nthWeekday(
  year: number,
  month: number,
  weekday: number,
  n: number,
): string {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const day = 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

function noSchoolDays(startYear: number): Calendar["noSchoolDays"] {
  const y = startYear;
  const thanksgiving = nthWeekday(y, 11, 4, 4);
  const days: Calendar["noSchoolDays"] = [
    { date: nthWeekday(y, 9, 1, 1), reason: "Labor Day" },
    { date: thanksgiving, reason: "Thanksgiving" },
    { date: addDays(thanksgiving, 1), reason: "Thanksgiving break" },
    { date: nthWeekday(y + 1, 1, 1, 3), reason: "Martin Luther King Jr. Day" },
    { date: nthWeekday(y + 1, 2, 1, 3), reason: "Presidents' Day" },
  ];
  for (let d = `${y}-12-21`; d <= `${y + 1}-01-01`; d = addDays(d, 1)) {
    days.push({ date: d, reason: "Winter break" });
  }
  const springBreak = nthWeekday(y + 1, 3, 1, 3);
  for (let i = 0; i < 5; i++) {
    days.push({ date: addDays(springBreak, i), reason: "Spring break" });
  }
  return days;
}

/** A one-page PDF flyer, small enough to inline. */
const FLYER = new TextEncoder().encode(
  "%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);

/** The demo district's roster: a OneRoster 1.1 CSV set, made by scripts/demo_roster.ts. */
export const DEMO_ROSTER = new URL("../scripts/demo-roster/", import.meta.url);
/** The demo's OneRoster files, as text, by name. */
export async function readDemoRoster(): Promise<Record<RosterFileName, string>> {
  const texts = await Promise.all(ROSTER_FILES.map((name) => Deno.readTextFile(new URL(name, DEMO_ROSTER))));
  return Object.fromEntries(ROSTER_FILES.map((name, i) => [name, texts[i]])) as Record<RosterFileName, string>;
}
/** Files that name the school year: moved to the current one when seeding. */
const DATED = new Set(["academicSessions.csv", "courses.csv", "classes.csv", "enrollments.csv"]);

/** Family choices OneRoster cannot carry, set after the import as a family would. */
const DemoPrefs = z.record(
  z.string(),
  z.record(
    z.string(),
    z.object({
      general: z.boolean().optional(),
      priority: z.boolean().optional(),
      emergency: z.boolean().optional(),
      textOptOutDaysAgo: z.number().optional(),
    }),
  ),
);

/**
 * Imports the demo roster through the same path an administrator's upload
 * takes (parse, check, preview, apply), with its 2026-27 school year moved
 * to the one `startYear` begins, then applies the families' preferences.
 */
async function importDemoRoster(db: Db, startYear: number, now: number): Promise<void> {
  const shift = (text: string) => text.replace(/20(26|27)/g, (y) => String(startYear + Number(y) - 2026));
  const uploads = Object.entries(await readDemoRoster()).map(([name, text]) => ({
    name,
    bytes: new TextEncoder().encode(DATED.has(name) ? shift(text) : text),
  }));
  const at = new Date(now).toISOString();
  const result = await importNow(db, uploads, { userId: "system", name: "Demo set-up", at }, { now: () => at });
  if (result.summary?.problems) throw new Error(`the demo roster has ${result.summary.problems} problem rows`);
  const prefs = DemoPrefs.parse(JSON.parse(await Deno.readTextFile(new URL("prefs.json", DEMO_ROSTER))));
  for (const [personId, devices] of Object.entries(prefs)) {
    const current = await getPerson(db, personId);
    if (!current) continue;
    await savePerson(db, current, {
      ...current.value,
      devices: current.value.devices.map((d) => {
        const p = devices[d.id];
        if (!p) return d;
        const { textOptOutDaysAgo, ...flags } = p;
        return {
          ...d,
          ...flags,
          textOptOutAt: textOptOutDaysAgo === undefined
            ? d.textOptOutAt
            : new Date(now - textOptOutDaysAgo * 86_400_000).toISOString(),
        };
      }),
    });
  }
}

/** Seeds the demo district unless the database already has one. */
export async function seedDemo(db: Db, clock: Clock): Promise<boolean> {
  if (await getDistrict(db)) return false;
  const now = clock.now();
  const district: District = {
    id: db.districtId,
    name: "Maple Valley School District",
    timeZone: "America/Chicago",
    dialingWindow: { start: "07:00", end: "21:00" },
  };
  const today = toWall(now, district.timeZone).date;
  const [ty, tm] = today.split("-").map(Number);
  const startYear = tm >= 7 ? ty : ty - 1;
  const schoolYear = `${startYear}-${String(startYear + 1).slice(2)}`;

  const calendars: Calendar[] = SCHOOLS.map((s) => ({
    id: `${s.id}-${startYear}`,
    schoolId: s.id,
    name: `${schoolYear} ${s.name}`,
    schoolYear,
    startDate: nthWeekday(startYear, 8, 3, 3),
    endDate: nthWeekday(startYear + 1, 5, 5, 4),
    noSchoolDays: noSchoolDays(startYear),
  }));

  await importDemoRoster(db, startYear, now);
  // The roster import gives each calendar its school year; the demo's own term dates and no-school days go on top.
  for (const c of calendars) await saveCalendar(db, c);

  const users: User[] = [];
  const lincoln = calendars[0].id;
  const rightsFor: Record<string, ToolRights> = {
    admin: ADMIN_RIGHTS,
    office: {
      ...ADMIN_RIGHTS,
      messageTypes: ["general", "priority"],
      calendars: [lincoln],
      admin: false,
    },
    teacher: {
      modes: ["inbox", "email", "text"],
      messageTypes: ["general"],
      recipientTypes: ["students", "guardians"],
      viewEditAll: false,
      calendars: [lincoln],
      admin: false,
    },
    comms: { ...ADMIN_RIGHTS, admin: false },
  };
  for (const a of DEMO_ACCOUNTS) {
    const user: User = {
      id: `usr-${a.login}`,
      login: a.login,
      name: a.name,
      title: a.title,
      passwordHash: await hashPassword(a.password),
      sessionEpoch: 0,
      rights: rightsFor[a.login],
      disabled: false,
    };
    users.push(user);
    await createUser(db, user);
  }
  const [admin, office, teacher, comms] = users;
  const stamp = (u: User, at: number) => ({
    userId: u.id,
    name: u.name,
    at: new Date(at).toISOString(),
  });
  const day = (n: number) => addDays(today, n);
  const calOf = (schoolId: string) => calendars.find((c) => c.schoolId === schoolId)!;

  type Draft =
    & Omit<
      Message,
      "id" | "nextAt" | "created" | "modified" | "attachments" | "content"
    >
    & {
      id: string;
      by: User;
      modifiedBy?: User;
      attach?: boolean;
      content?: Partial<Message["content"]>;
    };
  const all = (subject: string, body: string) => ({
    emailHtml: `<p>${body}</p>`,
    emailText: body,
    text: `${subject}: ${body}`.slice(0, 150),
    voice: `This is Maple Valley School District. ${body}`,
    inbox: body,
  });
  const drafts: Draft[] = [
    {
      id: "msg-early-release",
      type: "general",
      subject: "Early release Friday",
      modes: ["email", "text", "voice"],
      calendarId: lincoln,
      recipients: {
        types: ["guardians"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "once",
        date: day(2),
        times: { email: "07:30", text: "07:30", voice: "18:00" },
      },
      by: office,
      modifiedBy: admin,
    },
    {
      id: "msg-attendance",
      type: "general",
      subject: "Weekly attendance summary",
      modes: ["inbox", "email"],
      calendarId: lincoln,
      recipients: {
        types: ["guardians"],
        grades: ["3"],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "recurring",
        rule: "FREQ=WEEKLY;BYDAY=MO",
        startDate: day(-20),
        endDate: calOf("lincoln").endDate,
        times: { inbox: "07:00", email: "07:00" },
        skipDates: [],
        skipNoSchoolDays: true,
      },
      by: teacher,
    },
    {
      id: "msg-field-trip",
      type: "general",
      subject: "Field trip permission slips due",
      modes: ["email", "text"],
      calendarId: lincoln,
      recipients: {
        types: ["guardians", "students"],
        grades: ["4"],
        personIds: [],
        oneCopyPerGuardian: false,
      },
      schedule: {
        kind: "once",
        date: day(5),
        times: { email: "15:00", text: "15:00" },
      },
      by: teacher,
      attach: true,
    },
    {
      id: "msg-lunch",
      type: "priority",
      subject: "Lunch account balance low",
      modes: ["text", "email"],
      calendarId: calOf("washington").id,
      recipients: {
        types: ["guardians"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "recurring",
        rule: "FREQ=WEEKLY;BYDAY=MO,TH",
        startDate: day(-3),
        times: { text: "16:30", email: "16:30" },
        skipDates: [day(7)],
        skipNoSchoolDays: true,
      },
      by: admin,
      modifiedBy: comms,
    },
    {
      id: "msg-concert",
      type: "general",
      subject: "Winter concert tickets",
      modes: ["inbox", "email"],
      calendarId: calOf("roosevelt").id,
      recipients: {
        types: ["students", "guardians"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "once",
        date: day(9),
        times: { inbox: "09:00", email: "09:00" },
      },
      by: comms,
      attach: true,
    },
    {
      id: "msg-weather-drill",
      type: "emergency",
      subject: "Severe weather drill notice",
      modes: ["voice", "text", "email"],
      calendarId: calOf("roosevelt").id,
      recipients: {
        types: ["guardians", "staff"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "once",
        date: day(3),
        times: { voice: "06:15", text: "06:15", email: "06:15" },
      },
      by: admin,
    },
    {
      id: "msg-newsletter",
      type: "general",
      subject: "Washington monthly newsletter",
      modes: ["email", "inbox"],
      calendarId: calOf("washington").id,
      recipients: {
        types: ["guardians", "students", "staff"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "recurring",
        rule: "FREQ=MONTHLY;BYDAY=+2TU",
        startDate: day(-40),
        endDate: calOf("washington").endDate,
        times: { email: "08:00", inbox: "08:00" },
        skipDates: [],
        skipNoSchoolDays: false,
      },
      by: comms,
      modifiedBy: admin,
      attach: true,
    },
    {
      id: "msg-absence",
      type: "priority",
      subject: "Daily absence call",
      modes: ["voice", "text"],
      calendarId: calOf("roosevelt").id,
      recipients: {
        types: ["guardians"],
        grades: ["9", "10"],
        personIds: [],
        oneCopyPerGuardian: false,
      },
      schedule: {
        kind: "recurring",
        rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        startDate: day(-60),
        endDate: calOf("roosevelt").endDate,
        times: { voice: "10:00", text: "10:00" },
        skipDates: [],
        skipNoSchoolDays: true,
      },
      by: admin,
    },
    {
      id: "msg-staff-meeting",
      type: "general",
      subject: "Staff meeting moved to the library",
      modes: ["email", "inbox"],
      calendarId: lincoln,
      recipients: {
        types: ["staff"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "once",
        date: day(1),
        times: { email: "12:00", inbox: "12:00" },
      },
      by: office,
    },
    {
      id: "msg-reading-log",
      type: "general",
      subject: "Reading log reminder",
      modes: ["inbox", "text"],
      calendarId: lincoln,
      recipients: {
        types: ["guardians"],
        grades: ["2"],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "recurring",
        rule: "FREQ=WEEKLY;BYDAY=TH",
        startDate: day(1),
        times: { inbox: "18:30", text: "18:30" },
        skipDates: [],
        skipNoSchoolDays: true,
      },
      by: teacher,
      modifiedBy: teacher,
    },
  ];
  // Past one-time messages whose runs are on the In Progress tab.
  const pastDrafts: Draft[] = [
    {
      id: "msg-bus-delay",
      type: "priority",
      subject: "Bus 14 running 20 minutes late",
      modes: ["text", "voice"],
      calendarId: lincoln,
      recipients: {
        types: ["guardians"],
        grades: ["K", "1"],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "once",
        date: today,
        times: { text: "00:00", voice: "00:00" },
      },
      by: office,
    },
    {
      id: "msg-picture-day",
      type: "general",
      subject: "Picture day retakes",
      modes: ["email", "inbox"],
      calendarId: calOf("washington").id,
      recipients: {
        types: ["guardians"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "once",
        date: today,
        times: { email: "00:00", inbox: "00:00" },
      },
      by: comms,
    },
    {
      id: "msg-spelling",
      type: "general",
      subject: "Spelling bee results",
      modes: ["email", "text"],
      calendarId: lincoln,
      recipients: {
        types: ["guardians"],
        grades: ["5"],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: {
        kind: "once",
        date: today,
        times: { email: "00:00", text: "00:00" },
      },
      by: teacher,
    },
    {
      id: "msg-gym",
      type: "general",
      subject: "Gym closed for floor refinishing",
      modes: ["email"],
      calendarId: calOf("roosevelt").id,
      recipients: {
        types: ["students", "staff"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: { kind: "once", date: day(-3), times: { email: "09:00" } },
      by: admin,
    },
    {
      id: "msg-old-failure",
      type: "general",
      subject: "Book fair volunteers",
      modes: ["email"],
      calendarId: lincoln,
      recipients: {
        types: ["guardians"],
        grades: [],
        personIds: [],
        oneCopyPerGuardian: true,
      },
      schedule: { kind: "once", date: day(-10), times: { email: "09:00" } },
      by: office,
    },
  ];
  const messages: Message[] = [];
  for (const [i, d] of [...drafts, ...pastDrafts].entries()) {
    const { by, modifiedBy, attach, content, ...rest } = d;
    const createdAt = now - (30 - i) * 3_600_000 * 7;
    const attachments: Attachment[] = attach
      ? [{
        id: `att-${d.id}`,
        name: `${d.subject.toLowerCase().replaceAll(/[^a-z]+/g, "-")}.pdf`,
        contentType: "application/pdf",
        size: FLYER.length,
      }]
      : [];
    const message: Message = {
      ...rest,
      content: {
        ...all(d.subject, `${d.subject}. Details from ${by.name}.`),
        ...content,
      },
      attachments,
      created: stamp(by, createdAt),
      modified: modifiedBy ? stamp(modifiedBy, createdAt + 5_400_000) : undefined,
      nextAt: null,
    };
    const calendar = calendars.find((c) => c.id === message.calendarId)!;
    message.nextAt = computeNextAt(message, district, calendar, now);
    for (const a of attachments) {
      await saveAttachmentBytes(db, message.id, a, FLYER);
    }
    await saveMessage(db, null, message, {
      at: createdAt,
      userId: by.id,
      name: by.name,
      action: "created",
      changes: [],
    });
    messages.push(message);
  }

  const byId = new Map(messages.map((m) => [m.id, m]));
  const run = (
    id: string,
    messageId: string,
    status: Run["status"],
    startedAgoMin: number,
    extra: Partial<Run> = {},
  ): Run => {
    const message = byId.get(messageId)!;
    const startedAt = now - startedAgoMin * 60_000;
    let r: Run = {
      id,
      messageId,
      occurrenceDate: toWall(startedAt, district.timeZone).date,
      message: summarize(message),
      ...started(startedAt),
      counts: {},
      startedAt,
      ...extra,
    };
    if (status !== "processing") r = transition(r, status === "failed" ? "failed" : "sending", startedAt + 40_000);
    if (status === "canceling") r = transition(r, "canceling", startedAt + 90_000, message.created.name);
    return r;
  };
  const runs: Run[] = [
    run("R7K3Q9XD2M4P", "msg-bus-delay", "sending", 6, {
      counts: {
        text: {
          pending: 4,
          sent: 11,
          delivered: 31,
          failed: 2,
          canceled: 0,
          redial: 0,
        },
        voice: {
          pending: 9,
          sent: 18,
          delivered: 14,
          failed: 1,
          canceled: 0,
          redial: 5,
        },
      },
    }),
    run("R2F8W1NB6T0H", "msg-picture-day", "processing", 1),
    run("R5J0Z3KC8V1Q", "msg-spelling", "canceling", 4, {
      counts: {
        email: {
          pending: 0,
          sent: 12,
          delivered: 20,
          failed: 0,
          canceled: 9,
          redial: 0,
        },
      },
    }),
    run("R9M4T6HA3E7S", "msg-gym", "failed", 3 * 24 * 60, {
      error: {
        reason: "The message uses the merge field {{student.homeroom}}, which Messenger does not know. " +
          "Edit the message to remove it or use {{student.grade}}, then send it again.",
        stage: "Processing: rendering merge fields",
        detail: "MergeFieldError: unknown field student.homeroom in email body",
      },
    }),
    run("R1C6P2YG9K5D", "msg-old-failure", "failed", 10 * 24 * 60, {
      error: {
        reason: "The calendar was deleted before the message was processed.",
        stage: "Processing: resolving recipients",
        detail: "NotFoundError: calendar lincoln-old",
      },
    }),
  ];
  for (const r of runs) {
    await saveRun(db, null, r);
    await db.kv.set(runMessageKey(db, r.id), byId.get(r.messageId)!);
    await setRunCounts(db, r.id, r.counts);
  }
  await saveDistrict(db, district);
  return true;
}
