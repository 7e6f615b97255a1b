/**
 * A large send asks for confirmation: above the district's threshold, Send
 * and Update go only when the sender has typed the recipient count. The
 * count is the copies the message makes as the roster stands now (for a
 * series, its first occurrence's), counted one recipient at a time, so a
 * district-sized selection is never held in memory.
 */
import type { Calendar, District, Mode, RecipientSelection } from "../model.ts";
import { eachRecipient } from "../recipients.ts";
import type { Db } from "../store/kv.ts";

/** What the sender is asked to confirm, and what they typed so far. */
export interface LargeSend {
  copies: number;
  modes: Mode[];
  threshold: number;
  /** The count as typed, as much as a count can be ("" before the question was asked). */
  typed: string;
}

/** How many copies a selection makes today: what Processing would write one delivery per device for. */
export async function countCopies(
  db: Db,
  recipients: RecipientSelection,
  calendar: Calendar,
): Promise<number> {
  let copies = 0;
  for await (const _ of eachRecipient(db, { recipients }, calendar)) copies++;
  return copies;
}

/** A typed count as a number: "1,234", "1 234" and "1234" alike; null for anything else. */
export function readTypedCount(typed: string): number | null {
  const digits = typed.trim().replaceAll(/[\s,\u00a0\u202f]/g, "");
  return /^\d{1,9}$/.test(digits) ? Number(digits) : null;
}

/**
 * The confirmation still wanted before this send may go, or null when it
 * may go: a send to at most the threshold, or one whose typed count is the
 * count.
 */
export async function largeSendUnconfirmed(
  db: Db,
  district: District,
  recipients: RecipientSelection,
  calendar: Calendar,
  modes: Mode[],
  typed: string,
): Promise<LargeSend | null> {
  const copies = await countCopies(db, recipients, calendar);
  if (copies <= district.largeSendThreshold || readTypedCount(typed) === copies) return null;
  return { copies, modes, threshold: district.largeSendThreshold, typed: typed.slice(0, 20) };
}
