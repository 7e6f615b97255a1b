/**
 * Writes the demo district as a OneRoster 1.1 CSV set into
 * scripts/demo-roster/ (the seven CSVs, demo.zip with them at its root, and
 * prefs.json with the family-set preferences OneRoster cannot carry).
 *
 *   deno run -A scripts/demo_roster.ts    (or: deno task demo-roster)
 *
 * The people are those `seedDemo` in services/demo.ts creates: the same
 * mulberry32 seed and the same order of draws, copied here (demo.ts writes to
 * KV as it goes, so it is not imported). Any change to the people in demo.ts
 * must be made here too, and the files regenerated.
 *
 * Devices go into the user columns as follows: the email device into `email`;
 * a text-capable phone into `sms` and `phone` both (the importer merges equal
 * numbers into one text-capable phone, device id `mobile`); a voice-only phone
 * into `phone` (device id `phone`) if `phone` is still empty or holds only the
 * text phone's copy (then `sms` keeps the text phone alone); a further
 * voice-only phone cannot be represented in OneRoster 1.1 and is dropped.
 * Every fifth person with a phone has their numbers written as
 * `(612) 555-0123`, the rest in E.164.
 *
 * The files are bulk files, so `status` and `dateLastModified` are left empty
 * as OneRoster 1.1 asks. Running the script twice gives byte-identical files.
 */
import { parse } from "csv-parse/sync";
import { unzipSync, zipSync } from "fflate";
import type { Person } from "../services/model.ts";
import { nthWeekday, SCHOOLS } from "../services/demo.ts";

const OUT = new URL("demo-roster/", import.meta.url);

// ---------------------------------------------------------------------------
// The people, exactly as services/demo.ts seeds them (keep the two in step).

/** Mulberry32: a small seeded PRNG so the demo is the same every time. */
function seeded(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "Ava",
  "Liam",
  "Sofia",
  "Noah",
  "Mia",
  "Elijah",
  "Isabella",
  "Mateo",
  "Amara",
  "Lucas",
  "Zoe",
  "Ethan",
  "Layla",
  "Jayden",
  "Nora",
  "Diego",
  "Hana",
  "Caleb",
  "Aaliyah",
  "Owen",
  "Maya",
  "Samuel",
  "Leah",
  "Kai",
  "Grace",
  "Omar",
  "Chloe",
  "Wyatt",
  "Fatima",
  "Julian",
];
const LAST = [
  "Johnson",
  "Garcia",
  "Nguyen",
  "Smith",
  "Hernandez",
  "Okafor",
  "Patel",
  "Kowalski",
  "Brown",
  "Martinez",
  "Kim",
  "Anderson",
  "Lopez",
  "Haddad",
  "Wilson",
  "Thompson",
  "Rossi",
  "Clark",
  "Yamamoto",
  "Baker",
];

const DISTRICT = { id: "maple-valley", name: "Maple Valley School District" };

/**
 * The people of `seedDemo`, in the order it creates them: per school its
 * students then its staff, then every guardian. `textOptOutAt` is the marker
 * "opted out 20 days ago" (demo.ts dates it from the clock).
 */
export function demoPeople(): Person[] {
  const rand = seeded(20261126);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const optedOut = "20 days ago";

  const people: Person[] = [];
  const phone = () => `+1612555${String(Math.floor(rand() * 10000)).padStart(4, "0")}`;
  let deviceSeq = 0;
  const device = (
    kind: "email" | "phone",
    address: string,
    extra: Partial<Person["devices"][number]> = {},
  ) => ({
    id: `dev${++deviceSeq}`,
    kind,
    address,
    text: false,
    general: true,
    priority: true,
    emergency: true,
    ...extra,
  });
  let guardianSeq = 0;
  let studentSeq = 0;
  const guardians: Person[] = [];
  for (const school of SCHOOLS) {
    for (let i = 0; i < 100; i++) {
      const last = pick(LAST);
      const first = pick(FIRST);
      const student: Person = {
        id: `stu${++studentSeq}`,
        kind: "student",
        firstName: first,
        lastName: last,
        schoolIds: [school.id],
        grade: school.grades[i % school.grades.length],
        studentIds: [],
        devices: school.id === "roosevelt"
          ? [
            device(
              "email",
              `${first}.${last}${studentSeq}@students.maplevalley.example`
                .toLowerCase(),
            ),
          ]
          : [],
      };
      people.push(student);
      // About one family in six already has a child here: siblings share guardians.
      const sibling = guardians.length > 4 && rand() < 0.17 ? guardians[Math.floor(rand() * guardians.length)] : null;
      if (sibling) {
        sibling.studentIds.push(student.id);
        if (!sibling.schoolIds.includes(school.id)) {
          sibling.schoolIds.push(school.id);
        }
        continue;
      }
      // The bound is drawn again at every test of the loop, as in demo.ts.
      for (let g = 0; g < (rand() < 0.6 ? 2 : 1); g++) {
        const gFirst = pick(FIRST);
        const devices: Person["devices"] = [];
        const r = rand();
        if (r > 0.08) {
          devices.push(
            device(
              "email",
              `${gFirst}.${last}${guardianSeq + 1}@mail.example`.toLowerCase(),
            ),
          );
        }
        if (r > 0.04) {
          devices.push(device("phone", phone(), {
            text: rand() < 0.8,
            general: rand() > 0.1,
            textOptOutAt: rand() < 0.05 ? optedOut : undefined,
          }));
        }
        if (rand() < 0.3) {
          devices.push(
            device("phone", phone(), { general: false, priority: false }),
          );
        }
        if (devices.length > 0 && rand() < 0.06) {
          for (const d of devices) d.general = false;
        }
        const guardian: Person = {
          id: `gdn${++guardianSeq}`,
          kind: "guardian",
          firstName: gFirst,
          lastName: last,
          schoolIds: [school.id],
          studentIds: [student.id],
          devices,
        };
        guardians.push(guardian);
      }
    }
    for (let i = 0; i < 12; i++) {
      const first = pick(FIRST);
      const last = pick(LAST);
      people.push({
        id: `stf-${school.id}-${i + 1}`,
        kind: "staff",
        firstName: first,
        lastName: last,
        schoolIds: [school.id],
        studentIds: [],
        devices: [
          device(
            "email",
            `${first}.${last}.${school.id}${i}@maplevalley.example`
              .toLowerCase(),
          ),
          device("phone", phone(), { text: true }),
        ],
      });
    }
  }
  return [...people, ...guardians];
}

// ---------------------------------------------------------------------------
// OneRoster 1.1.

const HEADERS = {
  manifest: ["propertyName", "value"],
  orgs: ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
  academicSessions: [
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "type",
    "startDate",
    "endDate",
    "parentSourcedId",
    "schoolYear",
  ],
  users: [
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "orgSourcedIds",
    "role",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "grades",
    "password",
  ],
  courses: [
    "sourcedId",
    "status",
    "dateLastModified",
    "schoolYearSourcedId",
    "title",
    "courseCode",
    "grades",
    "orgSourcedId",
    "subjects",
    "subjectCodes",
  ],
  classes: [
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "grades",
    "courseSourcedId",
    "classCode",
    "classType",
    "location",
    "schoolSourcedId",
    "termSourcedIds",
    "subjects",
    "subjectCodes",
    "periods",
  ],
  enrollments: [
    "sourcedId",
    "status",
    "dateLastModified",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
    "primary",
    "beginDate",
    "endDate",
  ],
} as const;

type FileName = keyof typeof HEADERS;
type Row<F extends FileName> = Partial<Record<(typeof HEADERS)[F][number], string>>;

/** One CSV field: quoted when it holds a comma, a quote, CR or LF. */
function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A whole CSV file, LF line ends, the header row first. */
function csv<F extends FileName>(file: F, rows: Row<F>[]): string {
  const header: readonly string[] = HEADERS[file];
  const lines = [header.join(",")];
  for (const row of rows) {
    const cells = row as Record<string, string | undefined>;
    lines.push(header.map((h) => field(cells[h] ?? "")).join(","));
  }
  return lines.join("\n") + "\n";
}

/** CEDS grade codes: K → KG, 1 → 01 … 12 → 12. */
function gradeCode(grade: string): string {
  return grade === "K" ? "KG" : grade.padStart(2, "0");
}

/** `+16125550123` → `(612) 555-0123`. */
function humanPhone(e164: string): string {
  const d = e164.slice(2);
  return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The weekday at or before (step -1) or at or after (step 1) a date. */
function weekday(date: string, step: 1 | -1): string {
  const d = new Date(`${date}T00:00:00Z`);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + step);
  return isoDay(d);
}

function addDay(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDay(d);
}

type Prefs = { general?: false; priority?: false; emergency?: false; textOptOutDaysAgo?: 20 };

/** The preferences of a device that differ from the defaults, or null. */
function prefsOf(d: Person["devices"][number]): Prefs | null {
  const p: Prefs = {};
  if (!d.general) p.general = false;
  if (!d.priority) p.priority = false;
  if (!d.emergency) p.emergency = false;
  if (d.textOptOutAt) p.textOptOutDaysAgo = 20;
  return Object.keys(p).length > 0 ? p : null;
}

interface Build {
  files: Record<FileName, string>;
  prefs: Record<string, Record<string, Prefs>>;
  stats: {
    droppedPhones: number;
    samePhoneTwice: string[];
    textOptOutOnVoicePhone: number;
  };
}

export function buildRoster(): Build {
  const people = demoPeople();
  const startYear = 2026;
  const yearId = `sy-${startYear}`;
  const startDate = nthWeekday(startYear, 8, 3, 3);
  const endDate = nthWeekday(startYear + 1, 5, 5, 4);
  // Fall ends the last weekday before winter break (from 21 December, as in
  // demo.ts); spring starts the first weekday after 1 January.
  const fallEnd = weekday(`${startYear}-12-20`, -1);
  const springStart = weekday(addDay(`${startYear + 1}-01-01`, 1), 1);

  const manifest = [
    ["manifest.version", "1.0"],
    ["oneroster.version", "1.1"],
    ["file.academicSessions", "bulk"],
    ["file.categories", "absent"],
    ["file.classes", "bulk"],
    ["file.classResources", "absent"],
    ["file.courses", "bulk"],
    ["file.courseResources", "absent"],
    ["file.demographics", "absent"],
    ["file.enrollments", "bulk"],
    ["file.lineItems", "absent"],
    ["file.orgs", "bulk"],
    ["file.resources", "absent"],
    ["file.results", "absent"],
    ["file.users", "bulk"],
    ["source.systemName", "Messenger demo"],
  ].map(([propertyName, value]) => ({ propertyName, value }));

  const orgs: Row<"orgs">[] = [
    { sourcedId: DISTRICT.id, name: DISTRICT.name, type: "district" },
    ...SCHOOLS.map((s) => ({ sourcedId: s.id, name: s.name, type: "school", parentSourcedId: DISTRICT.id })),
  ];

  const schoolYear = String(startYear + 1);
  const sessions: Row<"academicSessions">[] = [
    {
      sourcedId: yearId,
      title: `${startYear}-${String(startYear + 1).slice(2)}`,
      type: "schoolYear",
      startDate,
      endDate,
      schoolYear,
    },
    {
      sourcedId: `fall-${startYear}`,
      title: `Fall ${startYear}`,
      type: "term",
      startDate,
      endDate: fallEnd,
      parentSourcedId: yearId,
      schoolYear,
    },
    {
      sourcedId: `spring-${startYear + 1}`,
      title: `Spring ${startYear + 1}`,
      type: "term",
      startDate: springStart,
      endDate,
      parentSourcedId: yearId,
      schoolYear,
    },
  ];

  // Students' guardians, in guardian order.
  const guardiansOf = new Map<string, string[]>();
  for (const p of people) {
    if (p.kind !== "guardian") continue;
    for (const s of p.studentIds) guardiansOf.set(s, [...(guardiansOf.get(s) ?? []), p.id]);
  }

  const users: Row<"users">[] = [];
  const prefs: Build["prefs"] = {};
  const stats: Build["stats"] = { droppedPhones: 0, samePhoneTwice: [], textOptOutOnVoicePhone: 0 };
  let withPhone = 0;
  let guardianCount = 0;
  for (const p of people) {
    const email = p.devices.find((d) => d.kind === "email");
    let text: Person["devices"][number] | undefined;
    let voice: Person["devices"][number] | undefined;
    for (const d of p.devices) {
      if (d.kind !== "phone") continue;
      if (d.text && !text && !voice) text = d;
      else if (!d.text && !voice) voice = d;
      else stats.droppedPhones++;
    }
    if (text && voice && text.address === voice.address) stats.samePhoneTwice.push(p.id);
    if (voice?.textOptOutAt) stats.textOptOutOnVoicePhone++;
    const human = (text || voice) && ++withPhone % 5 === 0;
    const fmt = (n: string) => human ? humanPhone(n) : n;

    const devicePrefs: Record<string, Prefs> = {};
    for (const [id, d] of [["email", email], ["mobile", text], ["phone", voice]] as const) {
      const pr = d && prefsOf(d);
      if (pr) devicePrefs[id] = pr;
    }
    if (Object.keys(devicePrefs).length > 0) prefs[p.id] = devicePrefs;

    let role: string = p.kind;
    if (p.kind === "guardian") role = ++guardianCount % 7 === 0 ? "parent" : "guardian";
    if (p.kind === "staff") role = p.id.endsWith("-1") ? "administrator" : "teacher";
    users.push({
      sourcedId: p.id,
      enabledUser: "true",
      orgSourcedIds: p.schoolIds.join(","),
      role,
      username: email?.address ?? p.id,
      givenName: p.firstName,
      familyName: p.lastName,
      email: email?.address,
      sms: text && fmt(text.address),
      phone: voice ? fmt(voice.address) : text && fmt(text.address),
      agentSourcedIds: (p.kind === "student" ? guardiansOf.get(p.id) ?? [] : p.studentIds).join(","),
      grades: p.grade === undefined ? "" : gradeCode(p.grade),
    });
  }

  const courses: Row<"courses">[] = [];
  const classes: Row<"classes">[] = [];
  const enrollments: Row<"enrollments">[] = [];
  for (const s of SCHOOLS) {
    const courseId = `homeroom-${s.id}`;
    courses.push({
      sourcedId: courseId,
      schoolYearSourcedId: yearId,
      title: "Homeroom",
      courseCode: "HR",
      grades: s.grades.map(gradeCode).join(","),
      orgSourcedId: s.id,
    });
    // Teachers (staff 2 to 12; staff 1 is the school's administrator) in turn.
    const teachers = people.filter((p) => p.kind === "staff" && p.schoolIds[0] === s.id && !p.id.endsWith("-1"));
    for (const [i, grade] of s.grades.entries()) {
      const code = gradeCode(grade);
      const classId = `hr-${s.id}-${code.toLowerCase()}`;
      classes.push({
        sourcedId: classId,
        title: `Homeroom ${grade === "K" ? "Kindergarten" : `Grade ${grade}`}`,
        grades: code,
        courseSourcedId: courseId,
        classCode: `HR-${code}`,
        classType: "homeroom",
        schoolSourcedId: s.id,
        termSourcedIds: yearId,
      });
      const enroll = (userId: string, role: string, primary: string) =>
        enrollments.push({
          sourcedId: `enr-${classId}-${userId}`,
          classSourcedId: classId,
          schoolSourcedId: s.id,
          userSourcedId: userId,
          role,
          primary,
          beginDate: startDate,
          endDate,
        });
      enroll(teachers[i % teachers.length].id, "teacher", "true");
      for (const p of people) {
        if (p.kind === "student" && p.schoolIds[0] === s.id && p.grade === grade) enroll(p.id, "student", "false");
      }
    }
  }

  return {
    files: {
      manifest: csv("manifest", manifest),
      orgs: csv("orgs", orgs),
      academicSessions: csv("academicSessions", sessions),
      users: csv("users", users),
      courses: csv("courses", courses),
      classes: csv("classes", classes),
      enrollments: csv("enrollments", enrollments),
    },
    prefs,
    stats,
  };
}

/** A fixed zip time, built from local parts because zip times are local. */
const ZIP_TIME = new Date(2026, 7, 1, 0, 0, 0);

async function write(build: Build): Promise<Uint8Array> {
  await Deno.mkdir(OUT, { recursive: true });
  const enc = new TextEncoder();
  const zipped: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(build.files)) {
    const bytes = enc.encode(text);
    zipped[`${name}.csv`] = bytes;
    await Deno.writeFile(new URL(`${name}.csv`, OUT), bytes);
  }
  await Deno.writeTextFile(new URL("prefs.json", OUT), JSON.stringify(build.prefs, null, 2) + "\n");
  const zip = zipSync(zipped, { level: 9, mtime: ZIP_TIME });
  await Deno.writeFile(new URL("demo.zip", OUT), zip);
  return zip;
}

// ---------------------------------------------------------------------------
// Read the files back and check them.

function check(build: Build, zip: Uint8Array): void {
  const fail = (message: string): never => {
    throw new Error(`demo roster: ${message}`);
  };
  const read: Record<string, Record<string, string>[]> = {};
  for (const [name, text] of Object.entries(build.files)) {
    const header = (HEADERS as Record<string, readonly string[]>)[name];
    const rows: string[][] = parse(text, { relax_column_count: false });
    if (rows[0].join(",") !== header.join(",")) fail(`${name}.csv header is ${rows[0].join(",")}`);
    read[name] = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  }
  const unzipped = unzipSync(zip);
  const dec = new TextDecoder();
  const names = Object.keys(unzipped).sort().join(",");
  if (names !== Object.keys(build.files).map((n) => `${n}.csv`).sort().join(",")) fail(`demo.zip holds ${names}`);
  for (const [name, text] of Object.entries(build.files)) {
    if (dec.decode(unzipped[`${name}.csv`]) !== text) fail(`${name}.csv differs in demo.zip`);
  }

  const list = (s: string) => s === "" ? [] : s.split(",");
  const orgIds = new Set(read.orgs.map((o) => o.sourcedId));
  const sessionIds = new Set(read.academicSessions.map((s) => s.sourcedId));
  const userById = new Map(read.users.map((u) => [u.sourcedId, u]));
  if (userById.size !== read.users.length) fail("duplicate user sourcedIds");
  for (const o of read.orgs) if (o.parentSourcedId && !orgIds.has(o.parentSourcedId)) fail(`org ${o.sourcedId}`);
  for (const s of read.academicSessions) {
    if (s.parentSourcedId && !sessionIds.has(s.parentSourcedId)) fail(`session ${s.sourcedId}`);
  }
  for (const u of read.users) {
    const orgsOf = list(u.orgSourcedIds);
    if (orgsOf.length === 0 || orgsOf.some((o) => !orgIds.has(o))) fail(`orgSourcedIds of ${u.sourcedId}`);
    for (const a of list(u.agentSourcedIds)) {
      const agent = userById.get(a) ?? fail(`agent ${a} of ${u.sourcedId}`);
      if (!list(agent.agentSourcedIds).includes(u.sourcedId)) fail(`${a} does not name ${u.sourcedId} back`);
    }
    if (u.role === "student" && list(u.agentSourcedIds).length === 0) fail(`${u.sourcedId} has no guardian`);
  }
  const courseIds = new Set(read.courses.map((c) => c.sourcedId));
  for (const c of read.courses) {
    if (!orgIds.has(c.orgSourcedId) || !sessionIds.has(c.schoolYearSourcedId)) fail(`course ${c.sourcedId}`);
  }
  const classIds = new Set(read.classes.map((c) => c.sourcedId));
  for (const c of read.classes) {
    if (!courseIds.has(c.courseSourcedId) || !orgIds.has(c.schoolSourcedId)) fail(`class ${c.sourcedId}`);
    if (list(c.termSourcedIds).some((t) => !sessionIds.has(t))) fail(`terms of class ${c.sourcedId}`);
  }
  const enrolled = new Map<string, number>();
  for (const e of read.enrollments) {
    if (!classIds.has(e.classSourcedId) || !orgIds.has(e.schoolSourcedId)) fail(`enrollment ${e.sourcedId}`);
    if (!userById.has(e.userSourcedId)) fail(`enrollment ${e.sourcedId}: no user ${e.userSourcedId}`);
    enrolled.set(e.userSourcedId, (enrolled.get(e.userSourcedId) ?? 0) + 1);
  }
  const byRole = (role: string) => read.users.filter((u) => u.role === role);
  const students = byRole("student");
  if (students.length !== 300) fail(`${students.length} students, not 300`);
  for (const s of students) if (enrolled.get(s.sourcedId) !== 1) fail(`${s.sourcedId} is not in one homeroom`);
  for (const [personId, devices] of Object.entries(build.prefs)) {
    const u = userById.get(personId) ?? fail(`prefs for unknown ${personId}`);
    for (const id of Object.keys(devices)) {
      const has = id === "email" ? u.email : id === "mobile" ? u.sms : u.phone && u.phone !== u.sms;
      if (!has) fail(`prefs for ${personId}'s ${id}, which the CSV does not have`);
    }
  }

  const count = (pred: (u: Record<string, string>) => boolean) => read.users.filter(pred).length;
  const prefEntries = Object.values(build.prefs).flatMap((d) => Object.values(d));
  const counts = {
    orgs: read.orgs.length,
    academicSessions: read.academicSessions.length,
    users: read.users.length,
    students: students.length,
    guardians: byRole("guardian").length,
    parents: byRole("parent").length,
    teachers: byRole("teacher").length,
    administrators: byRole("administrator").length,
    courses: read.courses.length,
    classes: read.classes.length,
    enrollments: read.enrollments.length,
    "email column": count((u) => u.email !== ""),
    "sms = phone (one text-capable phone)": count((u) => u.sms !== "" && u.sms === u.phone),
    "sms and a different phone": count((u) => u.sms !== "" && u.phone !== "" && u.sms !== u.phone),
    "phone only (voice)": count((u) => u.sms === "" && u.phone !== ""),
    "phones written (612) 555-…": count((u) => u.phone.startsWith("(") || u.sms.startsWith("(")),
    "voice phones dropped": build.stats.droppedPhones,
    "people in prefs.json": Object.keys(build.prefs).length,
    "device entries in prefs.json": prefEntries.length,
    "  general: false": prefEntries.filter((p) => p.general === false).length,
    "  priority: false": prefEntries.filter((p) => p.priority === false).length,
    "  emergency: false": prefEntries.filter((p) => p.emergency === false).length,
    "  textOptOutDaysAgo": prefEntries.filter((p) => p.textOptOutDaysAgo !== undefined).length,
    "  of those on a voice-only phone": build.stats.textOptOutOnVoicePhone,
  };
  for (const [k, v] of Object.entries(counts)) console.log(`${k.padEnd(40)} ${v}`);
  if (build.stats.samePhoneTwice.length > 0) {
    console.warn(`same number as sms and phone (will merge): ${build.stats.samePhoneTwice.join(", ")}`);
  }
}

if (import.meta.main) {
  const build = buildRoster();
  const zip = await write(build);
  check(build, zip);
  console.log(`written to ${OUT.pathname}`);
}
