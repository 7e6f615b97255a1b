/**
 * OneRoster 1.1 CSV → what Messenger keeps: schools, school-year
 * calendars and people (students, guardians, staff) with their email and
 * phones. Every row that cannot be used is a Problem with its file, line
 * and reason; the rest of the file is still read.
 *
 * Each file has its reader in oneroster/; `parseRoster` runs them in the
 * order their references need (orgs before users, users before
 * enrollments). What the roster owns of a person is `RosterPerson`.
 */
import type { CountryCode } from "libphonenumber-js";
import type { Person } from "../model.ts";
import { type RosterFileName, type RosterFiles, slicer } from "./csv.ts";
import type { RosterPerson } from "./roster_person.ts";
import { readManifest } from "./oneroster/manifest.ts";
import { readOrgs } from "./oneroster/orgs.ts";
import { readAcademicSessions } from "./oneroster/academic_sessions.ts";
import { dropTooLarge, linkAgents, placeGuardians, readUsers } from "./oneroster/users.ts";
import { readCourses } from "./oneroster/courses.ts";
import { readClasses } from "./oneroster/classes.ts";
import { readEnrollments } from "./oneroster/enrollments.ts";

export interface Problem {
  file: string;
  /** 1 is the header row; 0 for a problem with the whole file. */
  line: number;
  sourcedId?: string;
  reason: string;
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

/** Reads and checks a OneRoster upload. Nothing is written. */
export async function parseRoster(files: RosterFiles, opts: ParseOptions = {}): Promise<ParsedRoster> {
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
  const reading = { roster, files, slice: opts.slice ?? slicer() };
  await readManifest(reading);
  const orgs = await readOrgs(reading, opts.knownSchools);
  await readAcademicSessions(reading);
  const users = await readUsers(reading, orgs, opts.country ?? "US");
  await linkAgents(roster, users, opts.knownPeople);
  const courses = await readCourses(reading, orgs);
  const classes = await readClasses(reading, orgs, courses);
  await readEnrollments(reading, orgs, classes, users);
  placeGuardians(roster);
  await dropTooLarge(reading, users);
  roster.problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return roster;
}
