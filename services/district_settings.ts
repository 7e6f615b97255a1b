/**
 * District settings: the sending rules an administrator sets for the whole
 * district, each enforced on the server and shown to senders. Quiet hours
 * for calls (the dialing window) and texts, the size of a send that asks for
 * confirmation, and each school's caller ID. Every change is audited.
 */
import { z } from "zod";
import type { CountryCode } from "libphonenumber-js";
import type { District, School, User } from "./model.ts";
import { toE164 } from "./roster/oneroster/cells.ts";
import { addAdminAudit } from "./store/admin_audit.ts";
import type { Db } from "./store/kv.ts";
import { saveDistrict, saveSchool } from "./store/district.ts";

const clock = z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time like 08:00 (24-hour)");

/** A school's caller ID field: the form's name for it. */
export const callerIdField = (schoolId: string) => `callerId_${schoolId}`;

export const SettingsForm = z.object({
  dialingStart: clock,
  dialingEnd: clock,
  textStart: clock,
  textEnd: clock,
  largeSendThreshold: z.coerce.number({ error: "must be a whole number" }).int("must be a whole number")
    .min(1, "must be at least 1").max(1_000_000, "must be at most 1,000,000"),
}).refine((f) => f.dialingEnd > f.dialingStart, {
  path: ["dialingEnd"],
  message: "must be after the start: calls are made between the two, the same day",
}).refine((f) => f.textEnd > f.textStart, {
  path: ["textEnd"],
  message: "must be after the start: texts are sent between the two, the same day",
});
export type SettingsForm = z.infer<typeof SettingsForm>;

export type SettingsValues = Record<string, string>;

/** The form as the settings are now. */
export function settingsValues(district: District, schools: School[]): SettingsValues {
  return {
    dialingStart: district.dialingWindow.start,
    dialingEnd: district.dialingWindow.end,
    textStart: district.textWindow.start,
    textEnd: district.textWindow.end,
    largeSendThreshold: String(district.largeSendThreshold),
    ...Object.fromEntries(schools.map((s) => [callerIdField(s.id), s.callerId ?? ""])),
  };
}

/** Each school's caller ID as typed, read as a number in the district's country; the fields that are not numbers. */
export function readCallerIds(
  raw: Record<string, unknown>,
  schools: School[],
  country: CountryCode,
): { callerIds: Map<string, string | undefined>; errors: Record<string, string> } {
  const callerIds = new Map<string, string | undefined>();
  const errors: Record<string, string> = {};
  for (const school of schools) {
    const field = callerIdField(school.id);
    const typed = typeof raw[field] === "string" ? (raw[field] as string).trim() : "";
    if (!typed) {
      callerIds.set(school.id, undefined);
      continue;
    }
    const number = typed.length <= 30 ? toE164(typed, country) : null;
    if (number) callerIds.set(school.id, number);
    else errors[field] = "is not a phone number: enter the school's number, e.g. (312) 555-0100 or +13125550100";
  }
  return { callerIds, errors };
}

/** Saves valid settings and audits what changed; nothing changed, nothing written. */
export async function saveDistrictSettings(
  db: Db,
  by: User,
  district: District,
  schools: School[],
  form: SettingsForm,
  callerIds: Map<string, string | undefined>,
  at: number,
): Promise<void> {
  const next: District = {
    ...district,
    dialingWindow: { start: form.dialingStart, end: form.dialingEnd },
    textWindow: { start: form.textStart, end: form.textEnd },
    largeSendThreshold: form.largeSendThreshold,
  };
  const changes: string[] = [];
  if (JSON.stringify(next) !== JSON.stringify(district)) {
    await saveDistrict(db, next);
    changes.push(
      `calls ${form.dialingStart}–${form.dialingEnd}, texts ${form.textStart}–${form.textEnd}, ` +
        `confirm above ${form.largeSendThreshold}`,
    );
  }
  for (const school of schools) {
    const callerId = callerIds.get(school.id);
    if (callerId === school.callerId) continue;
    await saveSchool(db, { ...school, callerId });
    changes.push(`${school.name} caller ID ${callerId ?? "TWILIO_FROM"}`);
  }
  if (changes.length) {
    await addAdminAudit(db, at, { by: by.name, action: `district settings: ${changes.join("; ")}` });
  }
}
