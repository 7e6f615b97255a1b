/**
 * The portal inbox: what a family reads, one entry per inbox delivery, under
 * the person so their list is one range read and nobody else's entry is
 * ever in it.
 */
import { z } from "zod";
import { MessageType } from "../model.ts";
import { deliveriesOf } from "./deliveries.ts";
import type { Db } from "./kv.ts";

/**
 * Entries written before the portal had pages hold only subject, body and
 * time: the other fields default, so old entries stay readable.
 */
export const InboxEntry = z.object({
  subject: z.string(),
  body: z.string(),
  at: z.number(),
  type: MessageType.default("general"),
  /** The message whose attachments these are (their bytes are stored under it). */
  messageId: z.string().default(""),
  /** The guardian's students it is about (none for a message to the person alone): the portal's filter. */
  studentIds: z.array(z.string()).default([]),
  school: z.string().default(""),
  sender: z.string().default(""),
  attachments: z.array(z.object({ id: z.string(), name: z.string(), contentType: z.string(), size: z.number() }))
    .default([]),
  /** The first time the family opened it. */
  readAt: z.number().optional(),
});
export type InboxEntry = z.infer<typeof InboxEntry>;
export type NewInboxEntry = z.input<typeof InboxEntry>;

/** An inbox entry with the delivery it stands for. */
export interface InboxItem {
  runId: string;
  deliveryId: string;
  entry: InboxEntry;
}

const inboxKey = (db: Db, personId: string, runId: string, deliveryId: string): Deno.KvKey => [
  db.districtId,
  "inbox",
  personId,
  runId,
  deliveryId,
];

export async function addToInbox(
  db: Db,
  delivery: { personId: string; runId: string; id: string },
  entry: NewInboxEntry,
): Promise<void> {
  await db.kv.set(inboxKey(db, delivery.personId, delivery.runId, delivery.id), InboxEntry.parse(entry));
}

/** A person's inbox, in KV's order (the caller sorts it for showing). */
export async function listInbox(db: Db, personId: string): Promise<InboxItem[]> {
  const out: InboxItem[] = [];
  for await (const e of db.kv.list({ prefix: [db.districtId, "inbox", personId] })) {
    const parsed = InboxEntry.safeParse(e.value);
    const [, , , runId, deliveryId] = e.key as string[];
    if (parsed.success) out.push({ runId, deliveryId, entry: parsed.data });
  }
  return out;
}

/** One entry of this person's inbox, or null: another person's entry is simply not under their key. */
export async function getInboxEntry(
  db: Db,
  personId: string,
  runId: string,
  deliveryId: string,
): Promise<InboxEntry | null> {
  const parsed = InboxEntry.safeParse((await db.kv.get(inboxKey(db, personId, runId, deliveryId))).value);
  return parsed.success ? parsed.data : null;
}

/** Adds the entry's first read to a commit (the delivery's checked read commit). */
export function stageInboxRead(
  op: Deno.AtomicOperation,
  db: Db,
  item: InboxItem & { personId: string },
  readAt: number,
): Deno.AtomicOperation {
  return op.set(inboxKey(db, item.personId, item.runId, item.deliveryId), { ...item.entry, readAt });
}

/**
 * Deletes the inbox entries a run's inbox deliveries made (retention): read
 * from the deliveries, so it runs before they are deleted.
 */
export async function deleteRunInboxEntries(db: Db, runId: string): Promise<number> {
  let op = db.kv.atomic();
  let staged = 0;
  let deleted = 0;
  for await (const { value: d } of deliveriesOf(db, runId, "inbox")) {
    op.delete(inboxKey(db, d.personId, runId, d.id));
    // Well within KV's 1,000 mutations a commit.
    if (++staged === 500) {
      await op.commit();
      deleted += staged;
      op = db.kv.atomic();
      staged = 0;
    }
  }
  if (staged) await op.commit();
  return deleted + staged;
}
