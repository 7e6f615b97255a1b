/**
 * A guardian's own contact preferences, reached through a signed link the
 * school office sends them: no account, no sign-in. The link is the
 * person's id and an HMAC-SHA256 of it under a per-district secret, so
 * nobody can forge one for another person, and it never expires (deleting
 * the secret from KV revokes every link at once).
 */
import { LANGUAGES } from "./languages.ts";
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { type Device, MESSAGE_TYPE_LABEL, MESSAGE_TYPES, type Person } from "./model.ts";
import { maskAddress } from "./report.ts";
import { ConflictError, type Db, type Versioned } from "./store/kv.ts";
import { getPerson, savePerson } from "./store/people.ts";
import { districtSecret } from "./store/secrets.ts";

/** The languages offered to this person: the list, plus whatever the office recorded for them. */
export function languagesFor(person: Person): { code: string; name: string }[] {
  const current = person.language ?? "";
  return LANGUAGES.some((l) => l.code === current) ? [...LANGUAGES] : [...LANGUAGES, { code: current, name: current }];
}

/** The district's signing secret for preferences links, made on first use. */
export function preferencesSecret(db: Db): Promise<Uint8Array> {
  return districtSecret(db, "preferences");
}

/** The link's signature: base64url HMAC-SHA256 of the person id. */
export async function preferencesSig(db: Db, personId: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    await preferencesSecret(db) as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(personId));
  return Buffer.from(mac).toString("base64url");
}

/** The path of a person's preferences page (prefix it with the site's address). */
export async function preferencesPath(db: Db, personId: string): Promise<string> {
  return `/preferences/${encodeURIComponent(personId)}/${await preferencesSig(db, personId)}`;
}

/**
 * The guardian a link opens, or null for a bad signature, an unknown or
 * removed person, or anyone who is not a guardian: the caller answers all
 * of these the same way, so the page reveals nothing.
 */
export async function guardianForLink(db: Db, personId: string, sig: string): Promise<Versioned<Person> | null> {
  const expected = Buffer.from(await preferencesSig(db, personId));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const person = await getPerson(db, personId);
  return person && person.value.kind === "guardian" && !person.value.removedAt ? person : null;
}

/** A device as the Recipient Report shows it: `***-***-1234`, `a***@example.org`. */
export function maskDevice(d: Device): string {
  return maskAddress(d.kind === "email" ? "email" : "text", d.address);
}

/** What a family may change: which message types reach each device, and the language. */
export interface FamilyChoices {
  language: string;
  /** Device id → the message types ticked for it. */
  devices: Record<string, Record<(typeof MESSAGE_TYPES)[number], boolean>>;
}

/**
 * The form as this person's page sends it: a box is ticked when sent as
 * "on"; anything else, or a language not offered, is an issue whose message
 * names the field.
 */
function familyChoicesForm(person: Person): z.ZodType<FamilyChoices> {
  const box = (label: string) =>
    z.literal("on", { error: `${label}: is not a checkbox value` }).optional().transform((v) => v === "on");
  const boxes: Record<string, ReturnType<typeof box>> = {};
  for (const d of person.devices) {
    for (const t of MESSAGE_TYPES) boxes[`${d.id}:${t}`] = box(`${MESSAGE_TYPE_LABEL[t]} for ${maskDevice(d)}`);
  }
  const offered = languagesFor(person).map((l) => l.code);
  const notOffered = "Preferred language: is not one of the languages offered";
  const language = z.string({ error: notOffered }).default("").refine((l) => offered.includes(l), notOffered);
  return z.object({ ...boxes, language }).transform(({ language, ...rest }) => {
    const ticked: Record<string, boolean> = rest;
    const devices: FamilyChoices["devices"] = {};
    for (const d of person.devices) {
      devices[d.id] = { general: false, priority: false, emergency: false };
      for (const t of MESSAGE_TYPES) devices[d.id][t] = ticked[`${d.id}:${t}`];
    }
    return { language, devices };
  });
}

export function parseFamilyChoices(person: Person, body: Record<string, unknown>): z.ZodSafeParseResult<FamilyChoices> {
  return familyChoicesForm(person).safeParse(body);
}

/** The person with the family's choices applied; texts and addresses stay as the school's roster has them. */
export function withFamilyChoices(person: Person, choices: FamilyChoices): Person {
  return {
    ...person,
    language: choices.language || undefined,
    devices: person.devices.map((d) => ({ ...d, ...(choices.devices[d.id] ?? {}) })),
  };
}

/**
 * `next`, stamped as the family's choice of language when it changed the
 * one `before` had: a roster import never changes it after
 * (services/roster/roster_person.ts). Choosing is changing: saving the page
 * with the roster's language as it was leaves it the roster's.
 */
export function stampLanguageChoice(before: Person, next: Person, at: string): Person {
  if ((before.language ?? "") === (next.language ?? "")) return next;
  const { languageFromRoster: _, ...rest } = next;
  return { ...rest, languageChosenAt: at };
}

/**
 * Saves the family's choices on the person as last read; if the record
 * moved meanwhile (a STOP reply, an office edit), it is read again and the
 * choices applied once more. "gone" when the person is no longer a
 * guardian on the roster, "conflict" when it moved again. `at`: now, which
 * a changed language is stamped with.
 */
export async function saveFamilyChoices(
  db: Db,
  current: Versioned<Person>,
  choices: FamilyChoices,
  at: string,
): Promise<Person | "gone" | "conflict"> {
  let person = current;
  for (let attempt = 0; attempt < 2; attempt++) {
    const next = stampLanguageChoice(person.value, withFamilyChoices(person.value, choices), at);
    try {
      await savePerson(db, person, next);
      return next;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      const again = await getPerson(db, current.value.id);
      if (!again || again.value.kind !== "guardian" || again.value.removedAt) return "gone";
      person = again;
    }
  }
  return "conflict";
}
