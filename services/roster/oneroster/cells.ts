/** How OneRoster's cells read as Messenger's values: phone numbers, grade codes, lists. */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import type { CountryCode } from "libphonenumber-js";

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

/** A cell holding a comma-separated list, such as orgSourcedIds. */
export const list = (cell: string): string[] => cell.split(",").map((s) => s.trim()).filter(Boolean);
