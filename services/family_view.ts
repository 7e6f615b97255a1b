/**
 * Staff see how a message looks in the family portal, from View Details: a
 * run's as one family actually got it (the first inbox delivery's entry,
 * opened without marking it read), a scheduled message's as its first
 * recipient will get it, merge fields filled for them, each in the
 * language they get it in (the run's as the delivery recorded it), said.
 */
import { MergeFieldError, renderMerge } from "./merge.ts";
import type { Calendar, District, Message, Run } from "./model.ts";
import { previewIn } from "./preview_language.ts";
import { sampleRecipient } from "./recipients.ts";
import { deliveriesOf } from "./store/deliveries.ts";
import { getInboxEntry, InboxEntry, type InboxItem } from "./store/inbox.ts";
import type { Db } from "./store/kv.ts";
import { getPerson } from "./store/people.ts";
import { getRunMessage } from "./store/runs.ts";
import { defaultLanguage, staffLanguageName } from "./translate/recipient_language.ts";

export interface FamilyView {
  /** Whose portal it is shown as. */
  name: string;
  /** Which language it is in, as the note says it ("in Spanish"); "" when there is nothing to tell. */
  inLanguage: string;
  item: InboxItem;
}

/** The run's message in the first inbox that holds it; null before any inbox delivery was made. */
export async function familyViewOfRun(db: Db, district: District, run: Run): Promise<FamilyView | null> {
  for await (const { value: d } of deliveriesOf(db, run.id, "inbox")) {
    const entry = await getInboxEntry(db, d.personId, run.id, d.id);
    if (!entry) continue;
    const person = await getPerson(db, d.personId);
    const original = defaultLanguage(district);
    const language = d.language ?? original;
    const translated = ((await getRunMessage(db, run.id))?.languages ?? []).length > 0;
    // "sent in English: the Somali version has no inbox message": the reason is what follows the colon.
    const why = d.languageNote?.split(": ").slice(1).join(": ");
    return {
      name: person ? `${person.value.firstName} ${person.value.lastName}` : d.name,
      inLanguage: why
        ? `in ${staffLanguageName(language)}: ${why}`
        : translated || language !== original
        ? `in ${staffLanguageName(language)}`
        : "",
      item: { runId: run.id, deliveryId: d.id, entry },
    };
  }
  return null;
}

/** A scheduled message's inbox content as its first recipient will read it; null when it reaches nobody. */
export async function familyViewOfMessage(
  db: Db,
  district: District,
  message: Message,
  calendar: Calendar,
  at: number,
): Promise<FamilyView | null> {
  const sample = await sampleRecipient(db, message, calendar, district);
  if (!sample) return null;
  const fill = (text: string) => {
    try {
      return renderMerge(text, sample.merge);
    } catch (e) {
      // The wizard refuses such content; one saved before a field became unfillable shows the field as written.
      if (e instanceof MergeFieldError) return text;
      throw e;
    }
  };
  const { recipient } = sample;
  const preview = previewIn(message, recipient.person.language, district);
  const entry = InboxEntry.parse({
    // The inbox's language decides the subject too: it is one entry.
    subject: fill(preview.modeLanguage.inbox ? message.subject : preview.subject),
    body: fill(preview.content.inbox),
    at,
    type: message.type,
    messageId: message.id,
    studentIds: recipient.studentIds,
    school: sample.merge.school.name,
    sender: message.created.name,
    attachments: message.attachments.map(({ id, name, contentType, size }) => ({ id, name, contentType, size })),
  });
  return {
    name: `${recipient.person.firstName} ${recipient.person.lastName}`,
    inLanguage: preview.notes.inbox
      ? `in ${staffLanguageName(preview.modeLanguage.inbox!)}: ${preview.notes.inbox.split(": ").slice(1).join(": ")}`
      : preview.inLanguage,
    item: { runId: "preview", deliveryId: recipient.person.id, entry },
  };
}
