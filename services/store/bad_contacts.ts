/**
 * Bad contacts: every device whose deliveries failed for good, one record per
 * person × device address, written when a failure becomes final, so the Bad
 * contacts report reads an index and never scans runs. Every key is here:
 *
 *   [district, "bad_contact", personId, address]                            the record (read-modify-write)
 *   [district, "bad_contact_by_time", lastAt, personId, address]            a copy, newest failure last
 *   [district, "bad_contact_by_school", schoolId, lastAt, personId, address] a copy per school of the person
 *
 * A record keeps the failures of the last 30 days (the newest MAX_FAILURES)
 * and expires 30 days after its newest one (expireIn). KV deletes expired
 * keys lazily and reads still see them, so readers drop older failures by
 * the clock as well (`recent`). Adding failures is a commit checked against
 * the record as read, retried on a race: failures recorded at once all count.
 */
import { z } from "zod";
import { Mode } from "../model.ts";
import { ConflictError, type Db, StaleCursor } from "./kv.ts";

export const BAD_CONTACT_WINDOW_MS = 30 * 86_400_000;
/** A device failing more often than this in 30 days keeps its newest ones (a number dead for a month: ~3 a day). */
export const MAX_FAILURES = 200;

export const PROBLEMS = ["no_such_address", "invalid_number", "unreachable", "landline", "opted_out"] as const;
export const Problem = z.enum(PROBLEMS);
export type Problem = z.infer<typeof Problem>;

const Failure = z.object({ at: z.number(), problem: Problem, mode: Mode });
export type Failure = z.infer<typeof Failure>;

/** The newest failure in full: what the report says in words. */
const LastFailure = Failure.extend({
  code: z.string().max(20).optional(),
  words: z.string().max(300),
  runId: z.string().max(64).optional(),
});
export type LastFailure = z.infer<typeof LastFailure>;

export const BadContact = z.object({
  personId: z.string(),
  /** The person's name and schools at the newest failure; the report shows the roster's current ones. */
  name: z.string(),
  schoolIds: z.array(z.string()),
  device: z.enum(["email", "phone"]),
  address: z.string(),
  /** Oldest first. */
  failures: z.array(Failure),
  last: LastFailure,
});
export type BadContact = z.infer<typeof BadContact>;

/** One failure to record, with who and what it was sent to. */
export interface NewFailure {
  personId: string;
  name: string;
  schoolIds: string[];
  device: "email" | "phone";
  address: string;
  failure: LastFailure;
}

/** Email addresses are one whatever their case; phone numbers are E.164 already. */
const addressKey = (device: "email" | "phone", address: string) => device === "email" ? address.toLowerCase() : address;

const recordKey = (db: Db, personId: string, device: "email" | "phone", address: string): Deno.KvKey => [
  db.districtId,
  "bad_contact",
  personId,
  addressKey(device, address),
];
const timeKey = (db: Db, c: BadContact): Deno.KvKey => [
  db.districtId,
  "bad_contact_by_time",
  c.last.at,
  c.personId,
  addressKey(c.device, c.address),
];
const schoolKey = (db: Db, schoolId: string, c: BadContact): Deno.KvKey => [
  db.districtId,
  "bad_contact_by_school",
  schoolId,
  c.last.at,
  c.personId,
  addressKey(c.device, c.address),
];
const copies = (db: Db, c: BadContact) => [timeKey(db, c), ...c.schoolIds.map((s) => schoolKey(db, s, c))];

/** The record as of `now`: only the failures of the last 30 days; null when none is left. */
export function recent(c: BadContact, now: number): BadContact | null {
  const since = now - BAD_CONTACT_WINDOW_MS;
  const failures = c.failures.filter((f) => f.at > since);
  return failures.length ? { ...c, failures } : null;
}

/** The record with `added` in it: the newest name, schools and words; failures older than 30 days dropped. */
function withFailures(current: BadContact | null, added: NewFailure[], now: number): BadContact | null {
  const newest = added.reduce((a, b) => (b.failure.at >= a.failure.at ? b : a));
  const failures = [
    ...(current?.failures ?? []),
    ...added.map(({ failure: { at, problem, mode } }) => ({
      at,
      problem,
      mode,
    })),
  ].sort((a, b) => a.at - b.at).slice(-MAX_FAILURES);
  const last = current && current.last.at > newest.failure.at ? current.last : newest.failure;
  return recent({
    personId: newest.personId,
    name: newest.name,
    schoolIds: [...new Set(newest.schoolIds)],
    device: newest.device,
    address: newest.address,
    failures,
    last,
  }, now);
}

/**
 * Adds failures to their devices' records, one checked commit per device
 * (its record and copies together), retried when another failure of the same
 * device landed in between.
 */
export async function recordBadContactFailures(db: Db, added: NewFailure[], now: number): Promise<void> {
  const byDevice = new Map<string, NewFailure[]>();
  for (const f of added) {
    const id = JSON.stringify(recordKey(db, f.personId, f.device, f.address));
    byDevice.set(id, [...byDevice.get(id) ?? [], f]);
  }
  await Promise.all([...byDevice.values()].map((group) => recordDevice(db, group, now)));
}

async function recordDevice(db: Db, added: NewFailure[], now: number): Promise<void> {
  const key = recordKey(db, added[0].personId, added[0].device, added[0].address);
  // Each round of a race lets at least one writer through: enough rounds for every failure of a large run at once.
  for (let attempt = 0; attempt < 50; attempt++) {
    const entry = await db.kv.get(key);
    const current = entry.value === null ? null : BadContact.parse(entry.value);
    const next = withFailures(current, added, now);
    if (!next) return; // Every failure was older than 30 days.
    const expireIn = Math.max(1, next.last.at + BAD_CONTACT_WINDOW_MS - now);
    const op = db.kv.atomic().check(entry);
    const kept = new Set(copies(db, next).map((k) => JSON.stringify(k)));
    for (const old of current ? copies(db, current) : []) if (!kept.has(JSON.stringify(old))) op.delete(old);
    for (const k of [key, ...copies(db, next)]) op.set(k, next, { expireIn });
    if ((await op.commit()).ok) return;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * Math.min(attempt + 1, 10)));
  }
  throw new ConflictError("a bad contact record kept changing: this failure was not counted");
}

/** One device's record as of `now`, or null. */
export async function getBadContact(
  db: Db,
  personId: string,
  device: "email" | "phone",
  address: string,
  now: number,
): Promise<BadContact | null> {
  const entry = await db.kv.get(recordKey(db, personId, device, address));
  return entry.value === null ? null : recent(BadContact.parse(entry.value), now);
}

/**
 * The records as of `now`, newest failure first: every school's, or one
 * school's (its people as of their last failure). Each comes with the cursor
 * that resumes after it.
 */
export async function* listBadContacts(
  db: Db,
  now: number,
  opts: { schoolId?: string; cursor?: string; batchSize?: number } = {},
): AsyncGenerator<{ contact: BadContact; cursor: string }> {
  const prefix = opts.schoolId
    ? [db.districtId, "bad_contact_by_school", opts.schoolId]
    : [db.districtId, "bad_contact_by_time"];
  const iter = db.kv.list({ prefix }, { reverse: true, cursor: opts.cursor || undefined, batchSize: opts.batchSize });
  try {
    for await (const entry of iter) {
      const contact = recent(BadContact.parse(entry.value), now);
      if (contact) yield { contact, cursor: iter.cursor };
    }
  } catch (e) {
    // KV refuses a cursor that is not one of its own with a TypeError.
    if (opts.cursor && e instanceof TypeError && /cursor/i.test(e.message)) throw new StaleCursor();
    throw e;
  }
}
