/**
 * Staff see how a message looks in the family portal, from View Details: a
 * run's as one family actually got it (the first inbox delivery's entry,
 * opened without marking it read), a scheduled message's as its first
 * recipient will get it, merge fields filled for them.
 */
import { MergeFieldError, renderMerge } from "./merge.ts";
import type { Calendar, District, Message, Run } from "./model.ts";
import { sampleRecipient } from "./recipients.ts";
import { deliveriesOf } from "./store/deliveries.ts";
import { getInboxEntry, InboxEntry, type InboxItem } from "./store/inbox.ts";
import type { Db } from "./store/kv.ts";
import { getPerson } from "./store/people.ts";

export interface FamilyView {
  /** Whose portal it is shown as. */
  name: string;
  item: InboxItem;
}

/** The run's message in the first inbox that holds it; null before any inbox delivery was made. */
export async function familyViewOfRun(db: Db, run: Run): Promise<FamilyView | null> {
  for await (const { value: d } of deliveriesOf(db, run.id, "inbox")) {
    const entry = await getInboxEntry(db, d.personId, run.id, d.id);
    if (!entry) continue;
    const person = await getPerson(db, d.personId);
    return {
      name: person ? `${person.value.firstName} ${person.value.lastName}` : d.name,
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
  const entry = InboxEntry.parse({
    subject: fill(message.subject),
    body: fill(message.content.inbox),
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
    item: { runId: "preview", deliveryId: recipient.person.id, entry },
  };
}
