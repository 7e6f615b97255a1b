/**
 * Who a message reaches, by which devices, and who is left out and why.
 * View Details and the wizard show the aggregate; dispatch uses the list.
 */
import type { Calendar, Device, District, Message, MessageType, Mode, Person, RecipientType } from "./model.ts";
import type { MergeContext } from "./merge.ts";
import { listSchools } from "./store/district.ts";
import type { Db } from "./store/kv.ts";
import { eachPersonInSchool, getPeople } from "./store/people.ts";

export interface Recipient {
  person: Person;
  as: RecipientType;
  /** For a guardian's copy: the students it is about. */
  studentIds: string[];
}

export type Exclusion = "noDevice" | "optedOut";

/** The devices of a person that a mode may use for a message type, or why none. */
export function devicesFor(
  person: Person,
  mode: Mode,
  type: MessageType,
): Device[] | Exclusion {
  if (mode === "inbox") return [];
  const kind = mode === "email" ? "email" : "phone";
  const candidates = person.devices.filter((d) => d.kind === kind && (mode !== "text" || d.text));
  if (candidates.length === 0) return "noDevice";
  const allowed = candidates.filter((d) => d[type] && !(mode === "text" && d.textOptOutAt));
  return allowed.length === 0 ? "optedOut" : allowed;
}

/**
 * Individual people are picked by id, and an id alone must not reach past
 * the message's calendar: a person may be chosen while one of their schools
 * is the calendar's school and the roster still lists them. Calendar rights
 * are checked on the calendar, so this keeps every individual within them;
 * it is checked again at Processing, for a message saved before, or a
 * person who moved schools.
 */
function inCalendarSchool(person: Person, calendar: Pick<Calendar, "schoolId">): boolean {
  return !person.removedAt && person.schoolIds.includes(calendar.schoolId);
}

/**
 * The chosen people a calendar allows, in the order chosen, and how many
 * ids it refuses: unknown ids count as refused too, so a refusal tells
 * nothing about whether, or where, a person exists.
 */
export async function chosenIndividuals(
  db: Db,
  personIds: string[],
  calendar: Pick<Calendar, "schoolId">,
): Promise<{ people: Person[]; refused: number }> {
  const found = await getPeople(db, personIds);
  const people: Person[] = [];
  let refused = 0;
  for (const id of new Set(personIds)) {
    const p = found.get(id);
    if (p && inCalendarSchool(p, calendar)) people.push(p);
    else refused++;
  }
  return { people, refused };
}

/**
 * Every recipient of a message's selection, one at a time as the school's
 * lists are read, so Processing a district-sized run never holds the whole
 * roster: only the selected students' ids, and what it has already yielded
 * (a person reached twice, say a staff member also chosen by name, gets one
 * copy). `limited` counts the copies the contacts message limit saved.
 */
export async function* eachRecipient(
  db: Db,
  message: Pick<Message, "recipients">,
  calendar: Calendar,
  limited: { count: number } = { count: 0 },
): AsyncGenerator<Recipient> {
  const sel = message.recipients;
  const types = new Set(sel.types);
  const seen = new Set<string>();
  const fresh = (r: Recipient) => {
    const key = `${r.person.id}:${r.studentIds.join(",")}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const school = calendar.schoolId;
  if (types.has("students") || types.has("guardians")) {
    const selected = new Set<string>();
    for await (const s of eachPersonInSchool(db, school, "student")) {
      if (sel.grades.length > 0 && (s.grade === undefined || !sel.grades.includes(s.grade))) continue;
      selected.add(s.id);
      const r: Recipient = { person: s, as: "students", studentIds: [] };
      if (types.has("students") && fresh(r)) yield r;
    }
    if (types.has("guardians")) {
      for await (const g of eachPersonInSchool(db, school, "guardian")) {
        const theirs = g.studentIds.filter((id) => selected.has(id));
        if (theirs.length === 0) continue;
        const copies = sel.oneCopyPerGuardian ? [theirs] : theirs.map((id) => [id]);
        if (sel.oneCopyPerGuardian) limited.count += theirs.length - 1;
        for (const studentIds of copies) {
          const r: Recipient = { person: g, as: "guardians", studentIds };
          if (fresh(r)) yield r;
        }
      }
    }
  }
  if (types.has("staff")) {
    for await (const s of eachPersonInSchool(db, school, "staff")) {
      const r: Recipient = { person: s, as: "staff", studentIds: [] };
      if (fresh(r)) yield r;
    }
  }
  if (types.has("individuals")) {
    for (const person of (await chosenIndividuals(db, sel.personIds, calendar)).people) {
      const r: Recipient = { person, as: "individuals", studentIds: [] };
      if (fresh(r)) yield r;
    }
  }
}

/** Every recipient at once, for the wizard's preview and counts. */
/**
 * The first person a message would reach, with what their merge fields are
 * filled from: previews show the content as a real recipient gets it.
 */
export async function sampleRecipient(
  db: Db,
  message: Pick<Message, "recipients">,
  calendar: Calendar,
  district: District,
): Promise<{ recipient: Recipient; merge: MergeContext } | null> {
  let recipient: Recipient | undefined;
  for await (const r of eachRecipient(db, message, calendar, { count: 0 })) {
    recipient = r;
    break;
  }
  if (!recipient) return null;
  const students = recipient.person.kind === "student"
    ? [recipient.person]
    : [...(await getPeople(db, recipient.studentIds)).values()];
  const school = (await listSchools(db)).find((s) => s.id === calendar.schoolId) ?? { id: calendar.schoolId, name: "" };
  return { recipient, merge: { recipient: recipient.person, students, school, district } };
}

export async function resolveRecipients(
  db: Db,
  message: Pick<Message, "recipients">,
  calendar: Calendar,
): Promise<{ recipients: Recipient[]; limited: number }> {
  const limited = { count: 0 };
  const recipients: Recipient[] = [];
  for await (const r of eachRecipient(db, message, calendar, limited)) recipients.push(r);
  return { recipients, limited: limited.count };
}

export interface ModeReach {
  people: number;
  devices: number;
  noDevice: number;
  optedOut: number;
}

export interface RecipientPreview {
  byType: Partial<Record<RecipientType, number>>;
  copies: number;
  people: number;
  /** Copies not made because of the contacts message limit. */
  limited: number;
  byMode: Partial<Record<Mode, ModeReach>>;
}

export function previewOf(
  recipients: Recipient[],
  limited: number,
  modes: Mode[],
  type: MessageType,
): RecipientPreview {
  const byType: Partial<Record<RecipientType, number>> = {};
  const people = new Set<string>();
  const byMode: Partial<Record<Mode, ModeReach>> = {};
  for (const mode of modes) {
    byMode[mode] = { people: 0, devices: 0, noDevice: 0, optedOut: 0 };
  }
  for (const r of recipients) {
    byType[r.as] = (byType[r.as] ?? 0) + 1;
    people.add(r.person.id);
    for (const mode of modes) {
      const reach = byMode[mode]!;
      const devices = devicesFor(r.person, mode, type);
      if (typeof devices === "string") reach[devices]++;
      else {
        reach.people++;
        reach.devices += mode === "inbox" ? 1 : devices.length;
      }
    }
  }
  return {
    byType,
    copies: recipients.length,
    people: people.size,
    limited,
    byMode,
  };
}

export async function previewRecipients(
  db: Db,
  message: Pick<Message, "recipients" | "modes" | "type">,
  calendar: Calendar,
): Promise<RecipientPreview> {
  const { recipients, limited } = await resolveRecipients(
    db,
    message,
    calendar,
  );
  return previewOf(recipients, limited, message.modes, message.type);
}
