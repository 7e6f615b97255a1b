/**
 * How many recipients of a selection prefer each language: the Content
 * step's choice of languages and View Details' count per language. Read
 * as the recipients are streamed, school list by school list, so a large
 * selection is never held at once; only the ids already counted are kept.
 */
import type { Calendar, District, Message } from "./model.ts";
import { eachRecipient } from "./recipients.ts";
import type { Db } from "./store/kv.ts";
import { defaultLanguage, messageLanguageOf } from "./translate/recipient_language.ts";

/**
 * People by the language they would read a message in: each preferred
 * language as a message's language tag ("es-MX" counts as "es"), and
 * those without one under the district's language. A person reached twice
 * (two students' guardian, a copy each) counts once.
 */
export async function countRecipientLanguages(
  db: Db,
  message: Pick<Message, "recipients">,
  calendar: Calendar,
  district: Pick<District, "language">,
): Promise<Map<string, number>> {
  const fallback = defaultLanguage(district);
  const counted = new Set<string>();
  const counts = new Map<string, number>([[fallback, 0]]);
  for await (const { person } of eachRecipient(db, message, calendar)) {
    if (counted.has(person.id)) continue;
    counted.add(person.id);
    const tag = messageLanguageOf(person.language) ?? fallback;
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}
