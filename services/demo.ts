/**
 * The demo district: what `deno task start` shows on an empty database.
 * Seeded from a fixed random seed, so every start (and every test) sees the
 * same people; dates are relative to the clock, so the school year and the
 * scheduled messages are always current.
 */
import { hashPassword } from "./auth.ts";
import { seedDemoBadContacts } from "./demo/bad_contacts.ts";
import { ADMIN_RIGHTS } from "./rights.ts";
import {
  type Attachment,
  type Calendar,
  DELIVERY_RESULTS,
  type District,
  DISTRICT_DEFAULTS,
  type Message,
  type Mode,
  type ModeCounts,
  type Run,
  type ToolRights,
  type User,
} from "./model.ts";
import { getDistrict, saveCalendar, saveDistrict } from "./store/district.ts";
import type { Db } from "./store/kv.ts";
import { saveAttachmentBytes } from "./store/attachments.ts";
import { saveMessage, summarize } from "./store/messages.ts";
import { getPerson, savePerson } from "./store/people.ts";
import { importNow } from "./roster/import.ts";
import { ROSTER_FILES, type RosterFileName } from "./roster/csv.ts";
import { z } from "zod";
import { saveRun, stageRunMessage } from "./store/runs.ts";
import { started, transition } from "./dispatch/run_status.ts";
import { setRunCounts } from "./store/deliveries.ts";
import { createUser } from "./store/users.ts";
import { nextDelivery } from "./recurrence.ts";
import { addDays, type Clock, toWall } from "./time.ts";
import { type DemoDay, type DemoLogin, type DemoMessage, type DemoSchool, PAST, SCHEDULED } from "./demo/messages.ts";
import { DEMO_RUNS, type DemoRun } from "./demo/runs.ts";

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
    ...DISTRICT_DEFAULTS,
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
  await seedDemoBadContacts(db, now);

  const users: User[] = [];
  const lincoln = calendars[0].id;
  const rightsFor: Record<string, ToolRights> = {
    admin: ADMIN_RIGHTS,
    office: {
      ...ADMIN_RIGHTS,
      messageTypes: ["general", "priority"],
      calendars: [lincoln],
      admin: false,
      outsideQuietHours: false,
    },
    teacher: {
      modes: ["inbox", "email", "text"],
      messageTypes: ["general"],
      recipientTypes: ["students", "guardians"],
      viewEditAll: false,
      calendars: [lincoln],
      admin: false,
      outsideQuietHours: false,
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
  const byLogin = new Map(DEMO_ACCOUNTS.map((a, i) => [a.login as DemoLogin, users[i]]));
  const stamp = (login: DemoLogin, at: number) => {
    const u = byLogin.get(login)!;
    return { userId: u.id, name: u.name, at: new Date(at).toISOString() };
  };
  const calOf = (school: DemoSchool) => calendars.find((c) => c.schoolId === school)!;
  // A named weekday is a school day: "Early release Friday" never lands in Thanksgiving break.
  const day = (n: DemoDay, calendar?: Calendar) => {
    if (typeof n === "number") return addDays(today, n);
    const weekday = new Date(`${today}T12:00:00Z`).getUTCDay();
    let date = addDays(today, (n.next - weekday + 6) % 7 + 1);
    while (calendar?.noSchoolDays.some((d) => d.date === date)) date = addDays(date, 7);
    return date;
  };
  const scheduleOf = (d: DemoMessage): Message["schedule"] => {
    const s = d.schedule;
    if (s.kind === "once") return { kind: "once", date: day(s.inDays, calOf(d.school)), times: s.times };
    return {
      kind: "recurring",
      rule: s.rule,
      startDate: day(s.startInDays),
      ...(s.untilYearEnd ? { endDate: calOf(d.school).endDate } : {}),
      times: s.times,
      skipDates: (s.skipInDays ?? []).map((n) => day(n)),
      skipNoSchoolDays: s.skipNoSchoolDays,
    };
  };
  const messages = new Map<string, Message>();
  for (const [i, d] of [...SCHEDULED, ...PAST].entries()) {
    const createdAt = now - (30 - i) * 3_600_000 * 7;
    const attachments: Attachment[] = d.attach
      ? [{
        id: `att-${d.id}`,
        name: `${d.subject.toLowerCase().replaceAll(/[^a-z]+/g, "-")}.pdf`,
        contentType: "application/pdf",
        size: FLYER.length,
      }]
      : [];
    const body = `${d.subject}. Details from ${byLogin.get(d.by)!.name}.`;
    const calendar = calOf(d.school);
    const schedule = scheduleOf(d);
    const message: Message = {
      id: d.id,
      type: d.type,
      subject: d.subject,
      modes: d.modes,
      calendarId: calendar.id,
      recipients: { types: d.to, grades: d.grades ?? [], personIds: [], oneCopyPerGuardian: !d.perStudent },
      schedule,
      content: {
        emailHtml: `<p>${body}</p>`,
        emailText: body,
        text: `${d.subject}: ${body}`.slice(0, 150),
        voice: `This is Maple Valley School District. ${body}`,
        inbox: body,
      },
      attachments,
      created: stamp(d.by, createdAt),
      modified: d.modifiedBy ? stamp(d.modifiedBy, createdAt + 5_400_000) : undefined,
      // As the wizard's commit sets it: the next delivery from now, or none for a message in the past.
      nextAt: nextDelivery(schedule, now, district.timeZone, calendar),
    };
    for (const a of attachments) await saveAttachmentBytes(db, message.id, a, FLYER);
    const author = byLogin.get(d.by)!;
    await saveMessage(db, null, message, {
      at: createdAt,
      userId: author.id,
      name: author.name,
      action: "created",
      changes: [],
    });
    messages.set(message.id, message);
  }
  for (const r of DEMO_RUNS) await saveRun(db, null, demoRun(r, messages.get(r.messageId)!, district, now));
  for (const r of DEMO_RUNS) {
    await stageRunMessage(db.kv.atomic(), db, r.id, messages.get(r.messageId)!).commit();
    await setRunCounts(db, r.id, countsOf(r));
  }
  await saveDistrict(db, district);
  return true;
}

/** Every count of a demo run's modes, zeros included, as a run's counters hold them. */
function countsOf(r: DemoRun): Partial<Record<Mode, ModeCounts>> {
  return Object.fromEntries(
    Object.entries(r.counts ?? {}).map((
      [mode, c],
    ) => [mode, Object.fromEntries(DELIVERY_RESULTS.map((k) => [k, c[k] ?? 0]))]),
  );
}

/** A demo run as the dispatcher would have left it: started, then Sending, Canceling or Failed. */
function demoRun(r: DemoRun, message: Message, district: District, now: number): Run {
  const startedAt = now - r.startedMinutesAgo * 60_000;
  let run: Run = {
    id: r.id,
    messageId: r.messageId,
    occurrenceDate: toWall(startedAt, district.timeZone).date,
    message: summarize(message),
    ...started(startedAt),
    counts: countsOf(r),
    startedAt,
    ...(r.error ? { error: r.error } : {}),
  };
  if (r.status !== "processing") {
    run = transition(run, r.status === "failed" ? "failed" : "sending", startedAt + 40_000);
  }
  if (r.status === "canceling") run = transition(run, "canceling", startedAt + 90_000, message.created.name);
  return run;
}
