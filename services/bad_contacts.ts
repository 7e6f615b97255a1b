/**
 * The Bad contacts report (/admin/contacts): every device whose deliveries
 * failed for good in the last 30 days, so the office can fix the contact.
 * Dispatch notes each final failure here as it is recorded (sending, Twilio's
 * callbacks, Mailgun's events, a STOP reply); the report reads that index
 * (services/store/bad_contacts.ts), page by page or as a CSV stream.
 *
 * What counts: an email address that does not exist (an SMTP or Mailgun
 * bounce 550, 551, 553 or enhanced status 5.1.x; Mailgun's 605, an address
 * that bounced before; not a 5.7.x policy block), a number that is not valid
 * (Twilio 21211, 30005), a landline for texts (21614, 30006), a phone
 * unreachable at least twice in 30 days (30003: once is a phone switched off)
 * and a STOP (21610, or a STOP reply).
 *
 * Who sees it: administrators, every school; and users with View/Edit All
 * Scheduled Messages (the office), the schools of their calendar rights.
 * Anyone else gets 403.
 *
 * A contact fixed since (the person's device at that address is gone from
 * the roster, a START reply, a landline no longer taking texts) or whose
 * person left the roster leaves the default view, "Needs fixing", and shows
 * under "Fixed".
 */
import { z } from "zod";
import { errorMeaning, lookUp } from "./providers/error_meanings.ts";
import { type Mode, type Person, type School, type User } from "./model.ts";
import { csvCell, maskAddress } from "./report.ts";
import type { Delivery } from "./store/deliveries.ts";
import { listCalendars, listSchools } from "./store/district.ts";
import { type Db, MAX_SCAN, type Page, PageCursor } from "./store/kv.ts";
import { getPeople, personIdsByAddress } from "./store/people.ts";
import {
  type BadContact,
  listBadContacts,
  type NewFailure,
  Problem,
  PROBLEMS,
  recordBadContactFailures,
} from "./store/bad_contacts.ts";

export { Problem, PROBLEMS };

export const PROBLEM_LABEL: Record<Problem, string> = {
  no_such_address: "Email address does not exist",
  invalid_number: "Not a valid phone number",
  unreachable: "Unreachable again and again",
  landline: "Landline: takes no texts",
  opted_out: "Opted out by STOP",
};

/** The problem in plain words, where the provider's code has none of its own. */
const PROBLEM_WORDS: Record<Problem, string> = {
  no_such_address: "the mail server says the address does not exist",
  invalid_number: "not a valid phone number",
  unreachable: "phone unreachable",
  landline: "a landline: it cannot take texts",
  opted_out: "replied STOP: no texts until they reply START",
};

/** Unreachable (30003) once is a phone switched off for the day; this many times in 30 days, a number to check. */
export const REPEATED_UNREACHABLE = 2;

const TWILIO_PROBLEM: Record<string, Problem> = {
  "21211": "invalid_number",
  "30005": "invalid_number",
  "21614": "landline",
  "30006": "landline",
  "30003": "unreachable",
  "21610": "opted_out",
};

/**
 * The mailbox does not exist: the enhanced status code (5.1.x) decides when
 * the server gave one, so a 550 "5.7.1 blocked as spam" is no bad contact.
 */
function emailProblem(code: string, words = ""): Problem | null {
  if (code === "605") return "no_such_address"; // Mailgun: the address bounced before.
  if (!/^5\d\d$/.test(code)) return null;
  const enhanced = /\b5\.(\d{1,3})\.\d{1,3}\b/.exec(words);
  if (enhanced) return enhanced[1] === "1" ? "no_such_address" : null;
  return ["550", "551", "553"].includes(code) ? "no_such_address" : null;
}

/** What a failed delivery says about its contact, or null when it says nothing (a passing or content failure). */
export function problemOf(d: Delivery): Problem | null {
  if (d.state !== "failed" || !d.errorCode || !d.address) return null;
  if (d.mode === "email") return emailProblem(d.errorCode, d.error);
  if (d.mode !== "text" && d.mode !== "voice") return null;
  const problem = lookUp(TWILIO_PROBLEM, d.errorCode) ?? null;
  // A landline answers calls: only its texts fail.
  return problem === "landline" && d.mode !== "text" ? null : problem;
}

function wordsOf(problem: Problem, code?: string): string {
  return (code && errorMeaning(code)) || PROBLEM_WORDS[problem];
}

const fullName = (p: Person) => `${p.firstName} ${p.lastName}`;

async function record(db: Db, failures: Omit<NewFailure, "schoolIds">[], now: number) {
  if (failures.length === 0) return;
  try {
    const people = await getPeople(db, failures.map((f) => f.personId));
    await recordBadContactFailures(
      db,
      failures.map((f) => {
        const person = people.get(f.personId);
        return { ...f, name: person ? fullName(person) : f.name, schoolIds: person?.schoolIds ?? [] };
      }),
      now,
    );
  } catch (e) {
    // The report helps the office; it is never a reason for a send or a callback to fail.
    console.error(`bad contacts: ${failures.length} failure(s) not counted: ${(e as Error).message}`);
  }
}

/** Dispatch calls this with deliveries it has just recorded: the failed ones that say the contact is bad count. */
export function noteBadContacts(db: Db, deliveries: Delivery[], now: number): Promise<void> {
  return record(
    db,
    deliveries.flatMap((d) => {
      const problem = problemOf(d);
      if (!problem) return [];
      return [{
        personId: d.personId,
        name: d.name,
        device: d.mode === "email" ? "email" as const : "phone" as const,
        address: d.address!,
        failure: {
          at: d.updatedAt,
          problem,
          mode: d.mode,
          code: d.errorCode,
          words: wordsOf(problem, d.errorCode),
          runId: d.runId || undefined,
        },
      }];
    }),
    now,
  );
}

/** A STOP texted to us at `at`: every person with that number (`now`: the clock, later for the demo's past STOPs). */
export async function noteStopReply(db: Db, phone: string, at: number, now = at): Promise<void> {
  const ids = await personIdsByAddress(db, "phone", phone).catch(() => []);
  await record(
    db,
    ids.map((personId) => ({
      personId,
      name: "",
      device: "phone" as const,
      address: phone,
      failure: { at, problem: "opted_out" as const, mode: "text" as const, words: PROBLEM_WORDS.opted_out },
    })),
    now,
  );
}

/** Which schools' bad contacts a user may see; null for none (403). */
export interface ContactsScope {
  /** Every school, the people of no school (left the roster) included. */
  all: boolean;
  /** The schools they may see, by name. */
  schools: School[];
  /** Every school's name, for people who belong to schools beyond the scope too. */
  names: Map<string, string>;
}

/** May open the report (the navigation's cheap check; contactsScope decides). */
export function maySeeContacts(user: User): boolean {
  const r = user.rights;
  return r.admin || (r.viewEditAll && (r.calendars === "all" || r.calendars.length > 0));
}

export async function contactsScope(db: Db, user: User): Promise<ContactsScope | null> {
  if (!maySeeContacts(user)) return null;
  const schools = (await listSchools(db)).sort((a, b) => a.name.localeCompare(b.name));
  const names = new Map(schools.map((s) => [s.id, s.name]));
  const { calendars } = user.rights;
  if (user.rights.admin || calendars === "all") return { all: true, schools, names };
  const mine = new Set((await listCalendars(db)).filter((c) => calendars.includes(c.id)).map((c) => c.schoolId));
  const visible = schools.filter((s) => mine.has(s.id));
  return visible.length ? { all: false, schools: visible, names } : null;
}

export const CONTACT_STATUSES = ["open", "fixed", "any"] as const;
export const CONTACT_STATUS_LABEL: Record<(typeof CONTACT_STATUSES)[number], string> = {
  open: "Needs fixing",
  fixed: "Fixed or left the roster",
  any: "Any",
};
export const CONTACT_MODES = ["email", "text", "voice"] as const;

export const ContactsQuery = z.object({
  school: z.string().max(64, "is not one of your schools").default(""),
  problem: z.union([z.literal(""), Problem], { error: "is not a kind of problem" }).default(""),
  mode: z.union([z.literal(""), z.enum(CONTACT_MODES)], { error: "is not email, text or voice" }).default(""),
  status: z.enum(CONTACT_STATUSES, { error: "is not open, fixed or any" }).default("open"),
  cursor: PageCursor,
});
export type ContactsQuery = z.infer<typeof ContactsQuery>;

/** The filters' own problems beyond their shape: a school the user may not see. */
export function scopeErrors(scope: ContactsScope, query: ContactsQuery): Record<string, string> {
  return query.school && !scope.schools.some((s) => s.id === query.school)
    ? { school: "is not one of your schools" }
    : {};
}

export type ContactStatus = "open" | "fixed" | "removed";

export interface ContactRow {
  contact: BadContact;
  /** The person as the roster has them now (null once deleted). */
  person: Person | null;
  name: string;
  /** "guardian of Ada Okafor, Obi Okafor", "student", "staff". */
  relationship: string;
  /** A guardian's students by name. */
  students: string[];
  schools: string;
  /** Masked as in the Recipient Report. */
  device: string;
  modes: Mode[];
  problems: Problem[];
  count: number;
  first: number;
  last: number;
  /** The newest failure in plain words, and the provider's code. */
  words: string;
  code?: string;
  status: ContactStatus;
}

/** The problems that put a device on the report: any one of them, or unreachable REPEATED_UNREACHABLE times. */
function problemsOf(c: BadContact): Problem[] {
  const n = (p: Problem) => c.failures.filter((f) => f.problem === p).length;
  return PROBLEMS.filter((p) => n(p) >= (p === "unreachable" ? REPEATED_UNREACHABLE : 1));
}

const modesOf = (c: BadContact, problems: Problem[]): Mode[] =>
  CONTACT_MODES.filter((m) => c.failures.some((f) => f.mode === m && problems.includes(f.problem)));

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Still to fix, fixed since (the address changed, a START, a landline no longer taking texts), or left the roster. */
function statusOf(c: BadContact, problems: Problem[], person: Person | null): ContactStatus {
  if (!person || person.removedAt) return "removed";
  const device = person.devices.find((d) => d.kind === c.device && sameAddress(d.address, c.address));
  if (!device) return "fixed";
  const open = problems.some((p) =>
    p === "opted_out" ? Boolean(device.textOptOutAt) : p === "landline" ? device.text : true
  );
  return open ? "open" : "fixed";
}

/** Filters that need only the record: the index is read through them before anyone's record is. */
function listed(c: BadContact, query: ContactsQuery): boolean {
  const problems = problemsOf(c);
  return problems.length > 0 && (!query.problem || problems.includes(query.problem)) &&
    (!query.mode || modesOf(c, problems).includes(query.mode));
}

/** Filters that need the person as they are now: their schools and whether the contact was fixed. */
function shown(row: ContactRow, scope: ContactsScope, query: ContactsQuery): boolean {
  const schools = row.person && !row.person.removedAt ? row.person.schoolIds : row.contact.schoolIds;
  if (!scope.all && !schools.some((s) => scope.schools.some((v) => v.id === s))) return false;
  if (query.school && !schools.includes(query.school)) return false;
  return query.status === "any" || (query.status === "open") === (row.status === "open");
}

async function rowsOf(db: Db, scope: ContactsScope, contacts: BadContact[]): Promise<ContactRow[]> {
  const people = await getPeople(db, contacts.map((c) => c.personId));
  const students = await getPeople(
    db,
    [...people.values()].flatMap((p) => p.kind === "guardian" ? p.studentIds : []),
  );
  return contacts.map((c) => {
    const person = people.get(c.personId) ?? null;
    const problems = problemsOf(c);
    const kind = person?.kind;
    const studentNames = (person?.studentIds ?? []).flatMap((id) => students.get(id) ?? []).map(fullName);
    const relationship = kind === "guardian" && studentNames.length
      ? `guardian of ${studentNames.join(", ")}`
      : kind ?? "";
    const schoolIds = person && !person.removedAt ? person.schoolIds : c.schoolIds;
    return {
      contact: c,
      person,
      name: person ? fullName(person) : c.name,
      relationship,
      students: kind === "guardian" ? studentNames : [],
      schools: schoolIds.map((s) => scope.names.get(s) ?? s).join(", "),
      device: maskAddress(c.device === "email" ? "email" : "text", c.address),
      modes: modesOf(c, problems),
      problems,
      count: c.failures.length,
      first: c.failures[0].at,
      last: c.last.at,
      words: c.last.words,
      code: c.last.code,
      status: statusOf(c, problems, person),
    };
  });
}

/** The index to read: one school's when only one can match, else every school's. */
function indexSchool(scope: ContactsScope, query: ContactsQuery): string | undefined {
  return query.school || (!scope.all && scope.schools.length === 1 ? scope.schools[0].id : undefined);
}

export const CONTACTS_PAGE = 50;

/**
 * One page of the report, newest failure first. A rare filter reads at most
 * MAX_SCAN records for a page and answers a partial page with a cursor.
 */
export async function contactsPage(
  db: Db,
  scope: ContactsScope,
  query: ContactsQuery,
  now: number,
  limit = CONTACTS_PAGE,
): Promise<Page<ContactRow>> {
  const items: ContactRow[] = [];
  let lastCursor = "";
  let scanned = 0;
  let pending: { contact: BadContact; cursor: string }[] = [];
  // The people of a batch are read together; a batch's rows then fill the page in order.
  const take = async (): Promise<Page<ContactRow> | null> => {
    const rows = await rowsOf(db, scope, pending.map((p) => p.contact));
    const cursors = pending.map((p) => p.cursor);
    pending = [];
    for (const [i, row] of rows.entries()) {
      if (!shown(row, scope, query)) {
        if (++scanned >= MAX_SCAN) return { items, next: cursors[i], partial: true };
        continue;
      }
      if (items.length === limit) return { items, next: lastCursor };
      items.push(row);
      lastCursor = cursors[i];
      scanned++;
    }
    return null;
  };
  const entries = listBadContacts(db, now, {
    schoolId: indexSchool(scope, query),
    cursor: query.cursor,
    batchSize: 100,
  });
  for await (const entry of entries) {
    if (!listed(entry.contact, query)) {
      if (++scanned >= MAX_SCAN) return { items, next: entry.cursor, partial: true };
      continue;
    }
    pending.push(entry);
    if (pending.length === limit) {
      const page = await take();
      if (page) return page;
    }
  }
  return (await take()) ?? { items };
}

export const CONTACTS_CSV_COLUMNS = [
  "person_id",
  "person",
  "relationship",
  "schools",
  "device_kind",
  "device",
  "modes",
  "problems",
  "failures",
  "first_failure_utc",
  "last_failure_utc",
  "last_error_code",
  "last_error",
  "status",
  "last_run_id",
] as const;

const STATUS_WORDS: Record<ContactStatus, string> = {
  open: "needs fixing",
  fixed: "fixed",
  removed: "left the roster",
};

function csvLine(r: ContactRow): string {
  return `${
    [
      r.contact.personId,
      r.name,
      r.relationship,
      r.schools,
      r.contact.device,
      r.device,
      r.modes.join(" "),
      r.problems.map((p) => PROBLEM_LABEL[p]).join("; "),
      r.count,
      new Date(r.first).toISOString(),
      new Date(r.last).toISOString(),
      r.code ?? "",
      r.words,
      STATUS_WORDS[r.status],
      r.contact.last.runId ?? "",
    ].map(csvCell).join(",")
  }\r\n`;
}

/** The report as CSV with the page's filters (no paging), 100 records a chunk: memory stays flat. */
export function contactsCsv(db: Db, scope: ContactsScope, query: ContactsQuery, now: number) {
  const encoder = new TextEncoder();
  const entries = listBadContacts(db, now, { schoolId: indexSchool(scope, query), batchSize: 100 });
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`${CONTACTS_CSV_COLUMNS.join(",")}\r\n`));
        return;
      }
      // A batch may hold nobody the filters show: read on until a line is written or the index ends.
      for (;;) {
        const batch: BadContact[] = [];
        let done = false;
        while (batch.length < 100) {
          const next = await entries.next();
          if (next.done) {
            done = true;
            break;
          }
          if (listed(next.value.contact, query)) batch.push(next.value.contact);
        }
        const rows = (await rowsOf(db, scope, batch)).filter((r) => shown(r, scope, query));
        if (rows.length) controller.enqueue(encoder.encode(rows.map(csvLine).join("")));
        if (done) return controller.close();
        if (rows.length) return;
      }
    },
    async cancel() {
      await entries.return(undefined);
    },
  });
}
