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
import { countRecipientLanguages } from "./recipient_languages.ts";
import { defaultLanguage } from "./translate/recipient_language.ts";

export interface MessageDetails {
  message: Versioned<Message>;
  calendar: Calendar | null;
  preview: RecipientPreview | null;
  upcoming: Occurrence[];
  audit: AuditEntry[];
  /** For a message sent in more than one language: its recipients by the language they get it in, the original's first. */
  languages: { tag: string; count: number }[] | null;
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
  const [preview, audit, byLanguage] = await Promise.all([
    calendar ? previewRecipients(db, message.value, calendar) : null,
    listAudit(db, id),
    calendar && message.value.languages?.length ? countRecipientLanguages(db, message.value, calendar, district) : null,
  ]);
  const upcoming = occurrences(message.value.schedule, {
    from: now,
    limit: 5,
    timeZone: district.timeZone,
    calendar: calendar ?? undefined,
    includeSkipped: true,
  });
  return {
    message,
    calendar,
    preview,
    upcoming,
    audit,
    languages: byLanguage && perLanguage(message.value, byLanguage, district),
  };
}

export async function runDetails(
  db: Db,
  user: User,
  id: string,
): Promise<Versioned<Run> | null> {
  const run = await getRun(db, id);
  return run && maySeeMessage(user, run.value.message) ? run : null;
}

/** Recipients by the language they get the message in: theirs when it is sent in it, else the original's. */
function perLanguage(
  message: Message,
  byLanguage: Map<string, number>,
  district: District,
): { tag: string; count: number }[] {
  const sent = message.languages ?? [];
  const all = [...byLanguage.values()].reduce((a, b) => a + b, 0);
  const translated = sent.map((tag) => ({ tag, count: byLanguage.get(tag) ?? 0 }));
  const original = all - translated.reduce((a, b) => a + b.count, 0);
  return [{ tag: defaultLanguage(district), count: original }, ...translated];
}
