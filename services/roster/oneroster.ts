/**
 * OneRoster 1.1 CSV → what Messenger keeps: schools, school-year
 * calendars and people (students, guardians, staff) with their email and
 * phones. Every row that cannot be used is a Problem with its file, line
 * and reason; the rest of the file is still read.
 *
 * What the roster owns of a person is `RosterPerson`; preferences (which
 * message types reach which device, STOP, language) belong to the family
 * and are merged in by `mergePerson`, never replaced.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import type { CountryCode } from "libphonenumber-js";
import { z } from "zod";
import type { Device, Person } from "../model.ts";
import { CsvFileError, type Header, type RosterFileName, type RosterFiles, type Row, rows, slicer } from "./csv.ts";

export interface Problem {
  file: string;
  /** 1 is the header row; 0 for a problem with the whole file. */
  line: number;
  sourcedId?: string;
  reason: string;
}

/** The part of a person the roster decides. */
export interface RosterPerson {
  id: string;
  kind: Person["kind"];
  firstName: string;
  lastName: string;
  schoolIds: string[];
  grade?: string;
  studentIds: string[];
  email?: string;
  /** Text-capable phone (OneRoster `sms`), E.164. */
  mobile?: string;
  /** Voice phone (OneRoster `phone`) when it differs from `mobile`, E.164. */
  phone?: string;
}

export interface RosterSchool {
  id: string;
  name: string;
}

export interface RosterCalendar {
  id: string;
  schoolId: string;
  name: string;
  schoolYear: string;
  startDate: string;
  endDate: string;
}

export type FileMode = "bulk" | "delta" | "absent";

export interface ParsedRoster {
  modes: Record<"orgs" | "academicSessions" | "users", FileMode>;
  schools: RosterSchool[];
  calendars: RosterCalendar[];
  /** Good user rows, by sourcedId. */
  people: Map<string, RosterPerson>;
  /** sourcedIds of user rows with a problem: left exactly as they are. */
  badPeople: Set<string>;
  /** Delta files: sourcedIds marked `tobedeleted`. */
  deleted: Set<string>;
  problems: Problem[];
  counts: {
    rows: Partial<Record<RosterFileName, number>>;
    roles: Record<string, number>;
    classes: number;
    enrollments: number;
  };
  ignored: string[];
}

export interface ParseOptions {
  /** Numbers without a country code are read as this country's (default US). */
  country?: CountryCode;
  /** Schools already in Messenger: a delta users.csv may name them without an orgs.csv. */
  knownSchools?: Set<string>;
  /** People already in Messenger: a delta users.csv may link to them. */
  knownPeople?: (ids: string[]) => Promise<Map<string, Person["kind"]>>;
  /** Awaited often while reading: lets the server answer requests between slices (see `slicer`). */
  slice?: () => Promise<void>;
}

const ROLE_KIND: Record<string, Person["kind"]> = {
  student: "student",
  guardian: "guardian",
  parent: "guardian",
  relative: "guardian",
  teacher: "staff",
  administrator: "staff",
  aide: "staff",
  proctor: "staff",
};

const REQUIRED: Record<RosterFileName, string[]> = {
  "manifest.csv": ["propertyName", "value"],
  "orgs.csv": ["sourcedId", "name", "type"],
  "academicSessions.csv": ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"],
  "users.csv": ["sourcedId", "orgSourcedIds", "role", "givenName", "familyName"],
  "courses.csv": ["sourcedId", "title", "orgSourcedId"],
  "classes.csv": ["sourcedId", "title", "courseSourcedId", "schoolSourcedId"],
  "enrollments.csv": ["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"],
};

const ORG_TYPES = new Set(["department", "school", "district", "local", "state", "national"]);
const SESSION_TYPES = new Set(["gradingPeriod", "semester", "schoolYear", "term"]);
const Email = z.email();
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const MAX_ID = 64;
/** A school's name, at most: schools and their calendars are kept together in one KV value. */
const MAX_ORG_NAME = 200;
/**
 * What a person's record may take in KV (64 KiB a value), and with its copy
 * in each of its schools' index (800 KiB a commit, so one person always fits
 * in one). A real export's row makes well under 2 KB.
 */
export const MAX_PERSON_BYTES = 16 * 1024;
const MAX_PERSON_WRITE_BYTES = 256 * 1024;

/** Values quoted in a reason are cut to this: problem rows are stored in KV and shown on the page. */
const SHOWN_CHARS = 100;
const MAX_REASON = 500;
const cut = (text: string, max: number) => text.length > max ? `${text.slice(0, max)}…` : text;
const shown = (value: string) => cut(value, SHOWN_CHARS);

function addProblem(roster: ParsedRoster, p: Problem): void {
  roster.problems.push({
    ...p,
    sourcedId: p.sourcedId === undefined ? undefined : shown(p.sourcedId),
    reason: cut(p.reason, MAX_REASON),
  });
}

/**
 * About how many bytes a person's record takes in KV: V8 keeps a string
 * with any character past U+00FF at two bytes a character, and devices and
 * preferences add a few hundred bytes to the roster's fields.
 */
export function recordBytes(p: RosterPerson): number {
  const json = JSON.stringify(p);
  return json.length * (/[\u0100-\uffff]/.test(json) ? 2 : 1) + 400;
}

/** CEDS grade codes as people say them: KG → K, 03 → 3. */
export function gradeLabel(code: string): string {
  const c = code.trim();
  if (c === "KG") return "K";
  if (/^\d{2}$/.test(c)) return String(Number(c));
  return c;
}

/** A phone number as E.164, or null when it cannot be read as one. */
export function toE164(raw: string, country: CountryCode = "US"): string | null {
  const value = raw.trim();
  if (!/^[+\d\s().\-\/]+$/.test(value)) return null;
  const parsed = parsePhoneNumberFromString(value, country);
  return parsed && parsed.isValid() ? parsed.number : null;
}

const list = (cell: string) => cell.split(",").map((s) => s.trim()).filter(Boolean);

/** Checks a file's header; returns the missing required columns. */
function missingColumns(file: RosterFileName, header: Header): string[] {
  const have = new Set(header.columns);
  return REQUIRED[file].filter((c) => !have.has(c));
}

/**
 * Reads one file row by row. A missing required column makes the whole file
 * one problem on line 1 and no rows are read; an unreadable CSV is a problem
 * on the line where reading stopped.
 */
async function eachRow(
  roster: ParsedRoster,
  files: RosterFiles,
  file: RosterFileName,
  slice: () => Promise<void>,
  fn: (row: Row) => void,
): Promise<"read" | "absent" | "unreadable"> {
  const bytes = files.files.get(file);
  if (!bytes) return "absent";
  let broken = false;
  let width = 0;
  let n = 0;
  try {
    for await (
      const row of rows(bytes, (header) => {
        width = header.columns.length;
        const missing = missingColumns(file, header);
        if (missing.length > 0) {
          broken = true;
          addProblem(roster, {
            file,
            line: 1,
            reason: `missing required column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
          });
        }
      }, slice)
    ) {
      if (broken) break;
      n++;
      if (row.width !== width) {
        addProblem(roster, {
          file,
          line: row.line,
          sourcedId: row.get("sourcedId") || undefined,
          reason: `has ${row.width} fields where the header has ${width}`,
        });
        if (file === "users.csv" && row.get("sourcedId")) roster.badPeople.add(row.get("sourcedId"));
        continue;
      }
      fn(row);
    }
  } catch (e) {
    if (!(e instanceof CsvFileError)) throw e;
    addProblem(roster, { file, line: e.line, reason: `cannot be read as CSV past this line: ${e.message}` });
    return "unreadable";
  }
  roster.counts.rows[file] = n;
  return broken ? "unreadable" : "read";
}

/** Reads and checks a OneRoster upload. Nothing is written. */
export async function parseRoster(files: RosterFiles, opts: ParseOptions = {}): Promise<ParsedRoster> {
  const country = opts.country ?? "US";
  const slice = opts.slice ?? slicer();
  const roster: ParsedRoster = {
    modes: { orgs: "absent", academicSessions: "absent", users: "absent" },
    schools: [],
    calendars: [],
    people: new Map(),
    badPeople: new Set(),
    deleted: new Set(),
    problems: [],
    counts: { rows: {}, roles: {}, classes: 0, enrollments: 0 },
    ignored: files.ignored,
  };
  const problem = (file: string, row: Row, reason: string) =>
    addProblem(roster, { file, line: row.line, sourcedId: row.get("sourcedId") || undefined, reason });

  // manifest.csv: bulk or delta per file. Without a manifest, every file given is bulk.
  const declared = new Map<string, string>();
  await eachRow(roster, files, "manifest.csv", slice, (row) => declared.set(row.get("propertyName"), row.get("value")));
  for (const key of ["orgs", "academicSessions", "users"] as const) {
    const name = `${key}.csv` as RosterFileName;
    const stated = declared.get(`file.${key}`);
    let mode: FileMode = files.files.has(name) ? "bulk" : "absent";
    if (stated === "bulk" || stated === "delta" || stated === "absent") {
      mode = stated;
      if (stated !== "absent" && !files.files.has(name)) {
        addProblem(roster, {
          file: "manifest.csv",
          line: 0,
          reason: `lists ${name} as ${stated} but it is not in the upload`,
        });
        mode = "absent";
      }
    } else if (stated !== undefined) {
      addProblem(roster, {
        file: "manifest.csv",
        line: 0,
        reason: `file.${key} is "${shown(stated)}", not bulk, delta or absent`,
      });
    }
    roster.modes[key] = mode;
  }
  if (files.files.size > 0 && !files.files.has("users.csv") && !files.files.has("orgs.csv")) {
    addProblem(roster, { file: "users.csv", line: 0, reason: "the upload has neither users.csv nor orgs.csv" });
  }
  const deletedRow = (row: Row) => row.get("status") === "tobedeleted";

  // orgs.csv
  const orgs = new Map<string, { type: string; name: string }>();
  const schoolIds = new Set(opts.knownSchools ?? []);
  if (roster.modes.orgs !== "absent") {
    await eachRow(roster, files, "orgs.csv", slice, (row) => {
      const id = row.get("sourcedId");
      const type = row.get("type");
      if (!id) return problem("orgs.csv", row, "missing sourcedId");
      if (id.length > MAX_ID) return problem("orgs.csv", row, `sourcedId is longer than ${MAX_ID} characters`);
      if (orgs.has(id)) return problem("orgs.csv", row, `sourcedId ${shown(id)} appears twice`);
      if (deletedRow(row)) return;
      if (!ORG_TYPES.has(type)) {
        return problem("orgs.csv", row, `type "${shown(type)}" is not one of ${[...ORG_TYPES].join(", ")}`);
      }
      if (!row.get("name")) return problem("orgs.csv", row, "missing name");
      if (row.get("name").length > MAX_ORG_NAME) {
        return problem("orgs.csv", row, `name is longer than ${MAX_ORG_NAME} characters`);
      }
      orgs.set(id, { type, name: row.get("name") });
      if (type === "school") {
        schoolIds.add(id);
        roster.schools.push({ id, name: row.get("name") });
      }
    });
  }
  const orgKnown = (id: string) => orgs.has(id) || schoolIds.has(id);

  // academicSessions.csv: a calendar per school and school year.
  if (roster.modes.academicSessions !== "absent") {
    const years: { startDate: string; endDate: string; title: string; schoolYear: string }[] = [];
    await eachRow(roster, files, "academicSessions.csv", slice, (row) => {
      const type = row.get("type");
      const [start, end] = [row.get("startDate"), row.get("endDate")];
      if (!row.get("sourcedId")) return problem("academicSessions.csv", row, "missing sourcedId");
      if (deletedRow(row)) return;
      if (!SESSION_TYPES.has(type)) {
        return problem(
          "academicSessions.csv",
          row,
          `type "${shown(type)}" is not one of ${[...SESSION_TYPES].join(", ")}`,
        );
      }
      if (!isoDate.test(start) || !isoDate.test(end)) {
        return problem("academicSessions.csv", row, "startDate and endDate must be dates as YYYY-MM-DD");
      }
      if (end < start) return problem("academicSessions.csv", row, "endDate is before startDate");
      if (!/^\d{4}$/.test(row.get("schoolYear"))) {
        return problem("academicSessions.csv", row, "schoolYear must be a year such as 2027");
      }
      if (type === "schoolYear") {
        years.push({ startDate: start, endDate: end, title: row.get("title"), schoolYear: row.get("schoolYear") });
      }
    });
    for (const y of years) {
      const startYear = Number(y.startDate.slice(0, 4));
      const label = `${startYear}-${String(startYear + 1).slice(2)}`;
      for (const school of roster.schools) {
        roster.calendars.push({
          id: `${school.id}-${startYear}`,
          schoolId: school.id,
          name: `${label} ${school.name}`,
          schoolYear: label,
          startDate: y.startDate,
          endDate: y.endDate,
        });
      }
    }
  }

  // users.csv
  const firstLine = new Map<string, number>();
  const agents = new Map<string, string[]>();
  const userRows = new Map<string, { line: number; kind: Person["kind"] }>();
  if (roster.modes.users !== "absent") {
    const read = await eachRow(roster, files, "users.csv", slice, (row) => {
      const id = row.get("sourcedId");
      if (!id) return problem("users.csv", row, "missing sourcedId");
      const bad = (reason: string) => {
        problem("users.csv", row, reason);
        roster.badPeople.add(id);
      };
      if (firstLine.has(id)) return bad(`sourcedId ${shown(id)} appears again (first on line ${firstLine.get(id)})`);
      firstLine.set(id, row.line);
      if (id.length > MAX_ID) return bad(`sourcedId is longer than ${MAX_ID} characters`);
      if (deletedRow(row)) {
        roster.deleted.add(id);
        return;
      }
      const role = row.get("role");
      const kind = ROLE_KIND[role];
      if (!kind) return bad(`role "${shown(role)}" is not one of ${Object.keys(ROLE_KIND).join(", ")}`);
      roster.counts.roles[role] = (roster.counts.roles[role] ?? 0) + 1;
      userRows.set(id, { line: row.line, kind });
      const firstName = row.get("givenName");
      const lastName = row.get("familyName");
      if (!firstName || !lastName) return bad(`missing ${!firstName ? "givenName" : "familyName"}`);
      const orgIds = list(row.get("orgSourcedIds"));
      if (orgIds.length === 0) return bad("missing orgSourcedIds");
      const unknownOrg = orgIds.find((o) => !orgKnown(o));
      if (unknownOrg) return bad(`unknown org ${shown(unknownOrg)} in orgSourcedIds`);
      const email = row.get("email");
      if (email && !Email.safeParse(email).success) return bad(`email "${shown(email)}" is not an email address`);
      const phones: Record<"sms" | "phone", string | undefined> = { sms: undefined, phone: undefined };
      for (const column of ["sms", "phone"] as const) {
        const raw = row.get(column);
        if (!raw) continue;
        const e164 = toE164(raw, country);
        if (!e164) return bad(`${column} "${shown(raw)}" cannot be read as a phone number (E.164)`);
        phones[column] = e164;
      }
      const grades = list(row.get("grades"));
      const schools = orgIds.filter((o) => schoolIds.has(o));
      if (kind === "student" && schools.length === 0) return bad("a student must belong to a school in orgSourcedIds");
      agents.set(id, list(row.get("agentSourcedIds")));
      roster.people.set(id, {
        id,
        kind,
        firstName,
        lastName,
        schoolIds: schools,
        grade: kind === "student" && grades.length > 0 ? gradeLabel(grades[0]) : undefined,
        studentIds: [],
        email: email || undefined,
        mobile: phones.sms,
        phone: phones.phone && phones.phone !== phones.sms ? phones.phone : undefined,
      });
    });
    // A users.csv read only in part must not remove everyone after the point it stopped.
    if (read === "unreadable") roster.modes.users = "absent";
  }

  // Links between students and guardians, named on either side.
  const inFile = (id: string) => userRows.has(id);
  const outside = [...new Set([...agents.values()].flat().filter((a) => !inFile(a)))];
  const known = outside.length > 0 && roster.modes.users === "delta" && opts.knownPeople
    ? await opts.knownPeople(outside)
    : new Map<string, Person["kind"]>();
  for (const [id, named] of agents) {
    const p = roster.people.get(id)!;
    const unknown = named.find((a) => !inFile(a) && !known.has(a));
    if (unknown) {
      roster.people.delete(id);
      roster.badPeople.add(id);
      addProblem(roster, {
        file: "users.csv",
        line: firstLine.get(id)!,
        sourcedId: id,
        reason: `agentSourcedIds names ${shown(unknown)}, who is not in users.csv`,
      });
      continue;
    }
    for (const a of named) {
      const other = roster.people.get(a);
      // A student whose own row has a problem keeps their guardians: their row is left as it is.
      const kind = other?.kind ?? userRows.get(a)?.kind ?? known.get(a);
      if (p.kind === "guardian" && kind === "student") {
        if (!p.studentIds.includes(a)) p.studentIds.push(a);
      } else if (p.kind === "student" && other?.kind === "guardian") {
        if (!other.studentIds.includes(id)) other.studentIds.push(id);
      }
    }
  }

  // courses, classes, enrollments: checked, and enrollments place staff and students in schools.
  const courses = new Set<string>();
  await eachRow(roster, files, "courses.csv", slice, (row) => {
    if (!row.get("sourcedId")) return problem("courses.csv", row, "missing sourcedId");
    if (!orgKnown(row.get("orgSourcedId"))) {
      return problem("courses.csv", row, `unknown org ${shown(row.get("orgSourcedId"))} in orgSourcedId`);
    }
    courses.add(row.get("sourcedId"));
  });
  const classes = new Map<string, string>();
  await eachRow(roster, files, "classes.csv", slice, (row) => {
    if (!row.get("sourcedId")) return problem("classes.csv", row, "missing sourcedId");
    const school = row.get("schoolSourcedId");
    if (!schoolIds.has(school)) {
      return problem("classes.csv", row, `unknown school ${shown(school)} in schoolSourcedId`);
    }
    if (files.files.has("courses.csv") && !courses.has(row.get("courseSourcedId"))) {
      return problem("classes.csv", row, `unknown course ${shown(row.get("courseSourcedId"))} in courseSourcedId`);
    }
    classes.set(row.get("sourcedId"), school);
  });
  roster.counts.classes = classes.size;
  await eachRow(roster, files, "enrollments.csv", slice, (row) => {
    if (!row.get("sourcedId")) return problem("enrollments.csv", row, "missing sourcedId");
    if (deletedRow(row)) return;
    const school = row.get("schoolSourcedId");
    const user = row.get("userSourcedId");
    if (!schoolIds.has(school)) {
      return problem("enrollments.csv", row, `unknown school ${shown(school)} in schoolSourcedId`);
    }
    if (files.files.has("classes.csv") && !classes.has(row.get("classSourcedId"))) {
      return problem("enrollments.csv", row, `unknown class ${shown(row.get("classSourcedId"))} in classSourcedId`);
    }
    if (!inFile(user) && roster.modes.users === "bulk") {
      return problem("enrollments.csv", row, `unknown user ${shown(user)} in userSourcedId`);
    }
    roster.counts.enrollments++;
    const p = roster.people.get(user);
    if (p && p.kind !== "guardian" && !p.schoolIds.includes(school)) p.schoolIds.push(school);
  });

  // A guardian is in every school of their students.
  for (const p of roster.people.values()) {
    if (p.kind !== "guardian") continue;
    for (const s of p.studentIds) {
      for (const school of roster.people.get(s)?.schoolIds ?? []) {
        if (!p.schoolIds.includes(school)) p.schoolIds.push(school);
      }
    }
  }

  // Only now is a person whole (students, schools): one too large to store is a problem row, not a failed commit.
  const kb = (n: number) => Math.ceil(n / 1024).toLocaleString("en-US");
  for (const [id, p] of roster.people) {
    await slice();
    const one = recordBytes(p);
    const all = one * (1 + p.schoolIds.length);
    if (one <= MAX_PERSON_BYTES && all <= MAX_PERSON_WRITE_BYTES) continue;
    roster.people.delete(id);
    roster.badPeople.add(id);
    addProblem(roster, {
      file: "users.csv",
      line: firstLine.get(id)!,
      sourcedId: id,
      reason: one > MAX_PERSON_BYTES
        ? `the row is too large: ${kb(one)} KB to store, more than ${kb(MAX_PERSON_BYTES)} KB`
        : `the row is too large: ${
          kb(all)
        } KB to store with a copy for each of its ${p.schoolIds.length} schools, more than ${
          kb(MAX_PERSON_WRITE_BYTES)
        } KB`,
    });
  }
  roster.problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return roster;
}

/** What a person's roster fields hash to: equal hashes mean nothing to change. */
export function rosterHash(p: RosterPerson): string {
  const s = JSON.stringify([
    p.kind,
    p.firstName,
    p.lastName,
    [...p.schoolIds].sort(),
    p.grade ?? "",
    [...p.studentIds].sort(),
    p.email ?? "",
    p.mobile ?? "",
    p.phone ?? "",
  ]);
  // cyrb53: 53 bits, compared only with the same person's previous hash.
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * The person after an import: the roster's fields from `r`; each device's
 * message-type choices carried over from the device in the same place
 * (email, mobile, phone), or failing that the same address; a STOP only
 * while the number is the same; the preferred language kept.
 */
export function mergePerson(current: Person | null, r: RosterPerson): Person {
  const devices: Device[] = [];
  const place = (id: string, kind: Device["kind"], address: string | undefined, text: boolean) => {
    if (!address) return;
    const before = current?.devices.find((d) => d.id === id && d.kind === kind) ??
      current?.devices.find((d) => d.kind === kind && d.address === address);
    devices.push({
      id,
      kind,
      address,
      text,
      general: before?.general ?? true,
      priority: before?.priority ?? true,
      emergency: before?.emergency ?? true,
      textOptOutAt: before && before.address === address ? before.textOptOutAt : undefined,
    });
  };
  place("email", "email", r.email, false);
  place("mobile", "phone", r.mobile, true);
  place("phone", "phone", r.phone, false);
  return {
    id: r.id,
    kind: r.kind,
    firstName: r.firstName,
    lastName: r.lastName,
    schoolIds: r.schoolIds,
    grade: r.grade,
    studentIds: r.studentIds,
    language: current?.language,
    devices,
  };
}
