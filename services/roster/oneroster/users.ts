/**
 * users.csv: the people, then what only the whole file can settle: the
 * links between students and guardians (named on either side), a
 * guardian's schools (their students'), and whether a person, now whole,
 * is too large to store. A person's preferred language comes from the
 * `metadata.language` extension column OneRoster 1.1 allows (or a
 * `preferredLanguage` column where an export has one).
 */
import type { CountryCode } from "libphonenumber-js";
import { z } from "zod";
import { LanguageTag, type Person } from "../../model.ts";
import type { Row } from "../csv.ts";
import type { ParsedRoster, ParseOptions } from "../oneroster.ts";
import { MAX_PERSON_BYTES, MAX_PERSON_WRITE_BYTES, recordBytes } from "../roster_person.ts";
import { gradeLabel, list, toE164 } from "./cells.ts";
import type { Orgs } from "./orgs.ts";
import { addProblem, eachRow, isDeleted, MAX_ID, type Reading, rowProblem, shown } from "./rows.ts";

/** What the other files and the checks after reading need of users.csv. */
export interface UserRows {
  /** The line each sourcedId first stands on. */
  firstLine: Map<string, number>;
  /** The agentSourcedIds of each good row. */
  agents: Map<string, string[]>;
  /** The kind of every row with a known role, good or not. */
  kinds: Map<string, Person["kind"]>;
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

const Email = z.email();

/** Where users.csv may carry a person's preferred language, the first that has one winning. */
const LANGUAGE_COLUMNS = ["metadata.language", "preferredLanguage"] as const;
/** A person's stored language takes at most this many characters. */
const MAX_LANGUAGE = 20;

/**
 * The row's preferred language: an IETF tag as given, undefined when the row
 * has none, null when it is no tag (the problem is recorded; the rest of the
 * row is still read and the stored language stays).
 */
function languageOf(roster: ParsedRoster, row: Row): string | null | undefined {
  const column = LANGUAGE_COLUMNS.find((c) => row.get(c).trim() !== "");
  if (!column) return undefined;
  const tag = row.get(column).trim();
  const problem = tag.length > MAX_LANGUAGE
    ? `is longer than ${MAX_LANGUAGE} characters`
    : LanguageTag.safeParse(tag).error?.issues[0].message;
  if (!problem) return tag;
  rowProblem(
    roster,
    "users.csv",
    row,
    `${column} "${shown(tag)}" ${problem}; the rest of the row is applied, the language left as it was`,
  );
  return null;
}

export async function readUsers(reading: Reading, orgs: Orgs, country: CountryCode): Promise<UserRows> {
  const { roster } = reading;
  const users: UserRows = { firstLine: new Map(), agents: new Map(), kinds: new Map() };
  if (roster.modes.users === "absent") return users;
  const read = await eachRow(reading, "users.csv", (row) => {
    const id = row.get("sourcedId");
    if (!id) return rowProblem(roster, "users.csv", row, "missing sourcedId");
    const bad = (reason: string) => {
      rowProblem(roster, "users.csv", row, reason);
      roster.badPeople.add(id);
    };
    const first = users.firstLine.get(id);
    if (first !== undefined) return bad(`sourcedId ${shown(id)} appears again (first on line ${first})`);
    users.firstLine.set(id, row.line);
    if (id.length > MAX_ID) return bad(`sourcedId is longer than ${MAX_ID} characters`);
    if (isDeleted(row)) {
      roster.deleted.add(id);
      return;
    }
    const role = row.get("role");
    const kind = ROLE_KIND[role];
    if (!kind) return bad(`role "${shown(role)}" is not one of ${Object.keys(ROLE_KIND).join(", ")}`);
    roster.counts.roles[role] = (roster.counts.roles[role] ?? 0) + 1;
    users.kinds.set(id, kind);
    const firstName = row.get("givenName");
    const lastName = row.get("familyName");
    if (!firstName || !lastName) return bad(`missing ${!firstName ? "givenName" : "familyName"}`);
    const orgIds = list(row.get("orgSourcedIds"));
    if (orgIds.length === 0) return bad("missing orgSourcedIds");
    const unknownOrg = orgIds.find((o) => !orgs.known(o));
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
    const schools = orgIds.filter((o) => orgs.schoolIds.has(o));
    if (kind === "student" && schools.length === 0) return bad("a student must belong to a school in orgSourcedIds");
    users.agents.set(id, list(row.get("agentSourcedIds")));
    const language = languageOf(roster, row);
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
      ...(language === undefined ? {} : { language }),
    });
  });
  // A users.csv read only in part must not remove everyone after the point it stopped.
  if (read === "unreadable") roster.modes.users = "absent";
  return users;
}

/** A good row found bad once the whole file is read: the person is left exactly as they are. */
function dropPerson(roster: ParsedRoster, users: UserRows, id: string, reason: string): void {
  roster.people.delete(id);
  roster.badPeople.add(id);
  addProblem(roster, { file: "users.csv", line: users.firstLine.get(id)!, sourcedId: id, reason });
}

/**
 * Links students and guardians, named on either side. A delta users.csv
 * may name people already in Messenger (`knownPeople`); anyone else named
 * makes the naming row a problem.
 */
export async function linkAgents(
  roster: ParsedRoster,
  users: UserRows,
  knownPeople: ParseOptions["knownPeople"],
): Promise<void> {
  const inFile = (id: string) => users.kinds.has(id);
  const outside = [...new Set([...users.agents.values()].flat().filter((a) => !inFile(a)))];
  const known = outside.length > 0 && roster.modes.users === "delta" && knownPeople
    ? await knownPeople(outside)
    : new Map<string, Person["kind"]>();
  for (const [id, named] of users.agents) {
    const p = roster.people.get(id)!;
    const unknown = named.find((a) => !inFile(a) && !known.has(a));
    if (unknown) {
      dropPerson(roster, users, id, `agentSourcedIds names ${shown(unknown)}, who is not in users.csv`);
      continue;
    }
    for (const a of named) {
      const other = roster.people.get(a);
      // A student whose own row has a problem keeps their guardians: their row is left as it is.
      const kind = other?.kind ?? users.kinds.get(a) ?? known.get(a);
      if (p.kind === "guardian" && kind === "student") {
        if (!p.studentIds.includes(a)) p.studentIds.push(a);
      } else if (p.kind === "student" && other?.kind === "guardian") {
        if (!other.studentIds.includes(id)) other.studentIds.push(id);
      }
    }
  }
}

/** A guardian is in every school of their students. */
export function placeGuardians(roster: ParsedRoster): void {
  for (const p of roster.people.values()) {
    if (p.kind !== "guardian") continue;
    for (const s of p.studentIds) {
      for (const school of roster.people.get(s)?.schoolIds ?? []) {
        if (!p.schoolIds.includes(school)) p.schoolIds.push(school);
      }
    }
  }
}

const kb = (n: number) => Math.ceil(n / 1024).toLocaleString("en-US");

/** Only once a person is whole (students, schools) is their size known: one too large to store is a problem row. */
export async function dropTooLarge({ roster, slice }: Reading, users: UserRows): Promise<void> {
  for (const [id, p] of roster.people) {
    await slice();
    const one = recordBytes(p);
    const all = one * (1 + p.schoolIds.length);
    if (one <= MAX_PERSON_BYTES && all <= MAX_PERSON_WRITE_BYTES) continue;
    dropPerson(
      roster,
      users,
      id,
      one > MAX_PERSON_BYTES
        ? `the row is too large: ${kb(one)} KB to store, more than ${kb(MAX_PERSON_BYTES)} KB`
        : `the row is too large: ${kb(all)} KB to store with a copy for each of its ${p.schoolIds.length} schools, ` +
          `more than ${kb(MAX_PERSON_WRITE_BYTES)} KB`,
    );
  }
}
