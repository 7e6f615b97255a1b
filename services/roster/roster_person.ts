/**
 * The part of a person the roster decides, and how it meets what is stored:
 * its size in KV, its hash (equal hashes: nothing to change), and the merge
 * that keeps the family's preferences (which message types reach which
 * device, STOP, language), which belong to the family, never to the roster:
 * the roster's language is only a default until the family chooses one.
 */
import type { Device, Person } from "../model.ts";

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
  /**
   * Preferred language (OneRoster `metadata.language`, or `preferredLanguage`),
   * an IETF tag; null when the cell is not one (a problem row): the stored
   * language then stays as it is.
   */
  language?: string | null;
}

/**
 * What a person's record may take in KV (64 KiB a value), and with its copy
 * in each of its schools' index (800 KiB a commit, so one person always fits
 * in one). A real export's row makes well under 2 KB.
 */
export const MAX_PERSON_BYTES = 16 * 1024;
export const MAX_PERSON_WRITE_BYTES = 256 * 1024;

/**
 * About how many bytes a person's record takes in KV: V8 keeps a string
 * with any character past U+00FF at two bytes a character, and devices and
 * preferences add a few hundred bytes to the roster's fields.
 */
export function recordBytes(p: RosterPerson): number {
  const json = JSON.stringify(p);
  return json.length * (/[\u0100-\uffff]/.test(json) ? 2 : 1) + 400;
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
    // Only when the roster gives one, so a roster without languages hashes as it did before them.
    ...(p.language === undefined ? [] : [p.language]),
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
 * while the number is the same; the preferred language the roster's only
 * where the family has not chosen one (`rosterMaySetLanguage`).
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
  const roster = r.language !== null && rosterMaySetLanguage(current);
  return {
    id: r.id,
    kind: r.kind,
    firstName: r.firstName,
    lastName: r.lastName,
    schoolIds: r.schoolIds,
    grade: r.grade,
    studentIds: r.studentIds,
    language: roster ? r.language ?? undefined : current?.language,
    ...(current?.languageChosenAt ? { languageChosenAt: current.languageChosenAt } : {}),
    ...((roster ? r.language : current?.languageFromRoster) ? { languageFromRoster: true } : {}),
    devices,
  };
}

/**
 * Whether an import may set this person's language: never once the family
 * chose one, nor over a language stored before rosters gave languages (the
 * family's or the office's, unmarked); only a language the roster itself
 * gave, or none.
 */
export function rosterMaySetLanguage(current: Person | null): boolean {
  if (!current) return true;
  return !current.languageChosenAt && (current.language === undefined || current.languageFromRoster === true);
}
