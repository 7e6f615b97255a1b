/** Reading messages and runs for the pages, with rights applied. */
import type { Calendar, District, Message, Run, User } from "./model.ts";
import { type Occurrence, occurrences } from "./recurrence.ts";
import { previewRecipients, type RecipientPreview } from "./recipients.ts";
import { maySeeMessage } from "./rights.ts";
import { getCalendar } from "./store/district.ts";
import type { Db, Versioned } from "./store/kv.ts";
import { getMessage, listAudit } from "./store/messages.ts";
import { getRun } from "./store/runs.ts";
import type { AuditEntry } from "./model.ts";

export interface MessageDetails {
  message: Versioned<Message>;
  calendar: Calendar | null;
  preview: RecipientPreview | null;
  upcoming: Occurrence[];
  audit: AuditEntry[];
}

/** A message the user may see, or null: callers answer 404 either way. */
export async function messageDetails(
  db: Db,
  district: District,
  user: User,
  id: string,
  now: number,
): Promise<MessageDetails | null> {
  const message = await getMessage(db, id);
  if (!message || !maySeeMessage(user, message.value)) return null;
  const calendar = await getCalendar(db, message.value.calendarId);
  const [preview, audit] = await Promise.all([
    calendar ? previewRecipients(db, message.value, calendar) : null,
    listAudit(db, id),
  ]);
  const upcoming = occurrences(message.value.schedule, {
    from: now,
    limit: 5,
    timeZone: district.timeZone,
    calendar: calendar ?? undefined,
    includeSkipped: true,
  });
  return { message, calendar, preview, upcoming, audit };
}

export async function runDetails(
  db: Db,
  user: User,
  id: string,
): Promise<Versioned<Run> | null> {
  const run = await getRun(db, id);
  return run && maySeeMessage(user, run.value.message) ? run : null;
}
