/**
 * What a signed-in family reads: their inbox, newest first with recent
 * emergencies pinned, and one message at a time, whose opening is the read
 * receipt staff see on the Recipient Report.
 */
import { getDelivery, markDeliveryRead } from "./store/deliveries.ts";
import { getInboxEntry, type InboxEntry, type InboxItem, listInbox, stageInboxRead } from "./store/inbox.ts";
import type { Db } from "./store/kv.ts";

/** An emergency stays at the top of the list this long after it arrived. */
export const PINNED_MS = 7 * 24 * 60 * 60 * 1000;

/** Messages a page of the inbox lists (recent emergencies come above them on the first page). */
export const INBOX_PAGE_SIZE = 20;

export interface FamilyInbox {
  /** Recent emergencies, newest first: on the first page only. */
  pinned: InboxItem[];
  /** This page of everything else, newest first. */
  messages: InboxItem[];
  /** Unread in the whole inbox, whatever the filter. */
  unread: number;
  page: number;
  pages: number;
}

/**
 * One page of a person's inbox, newest first, recent emergencies pinned;
 * `studentId` keeps the messages about that student. A person's whole inbox
 * is read and sorted here: it holds what their school sent them within
 * RETENTION_DAYS, hundreds of entries at most.
 */
export async function familyInbox(
  db: Db,
  personId: string,
  now: number,
  options: { studentId?: string; page?: number } = {},
): Promise<FamilyInbox> {
  const all = (await listInbox(db, personId)).sort((a, b) => b.entry.at - a.entry.at);
  const shown = options.studentId ? all.filter((i) => i.entry.studentIds.includes(options.studentId!)) : all;
  const isPinned = (i: InboxItem) => i.entry.type === "emergency" && now - i.entry.at < PINNED_MS;
  const rest = shown.filter((i) => !isPinned(i));
  const pages = Math.max(1, Math.ceil(rest.length / INBOX_PAGE_SIZE));
  const page = Math.min(options.page ?? 1, pages);
  return {
    pinned: page === 1 ? shown.filter(isPinned) : [],
    messages: rest.slice((page - 1) * INBOX_PAGE_SIZE, page * INBOX_PAGE_SIZE),
    unread: all.filter((i) => i.entry.readAt === undefined).length,
    page,
    pages,
  };
}

/**
 * Opens one of the person's messages (null when it is not in their inbox)
 * and records the first read: a checked commit on the delivery that sets
 * readAt and counts it, so concurrent opens count once. A message still on
 * its way (its delivery not yet recorded delivered) is shown unmarked; the
 * next open marks it.
 */
export async function openInboxMessage(
  db: Db,
  personId: string,
  runId: string,
  deliveryId: string,
  now: number,
): Promise<InboxEntry | null> {
  const entry = await getInboxEntry(db, personId, runId, deliveryId);
  if (!entry) return null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const delivery = await getDelivery(db, runId, "inbox", deliveryId);
    if (!delivery || delivery.value.personId !== personId) return entry;
    const fresh = (await getInboxEntry(db, personId, runId, deliveryId)) ?? entry;
    const op = stageInboxRead(db.kv.atomic(), db, { personId, runId, deliveryId, entry: fresh }, now);
    const result = await markDeliveryRead(db, delivery, now, op);
    if (result === "read") return { ...fresh, readAt: now };
    if (result === "already") return { ...fresh, readAt: fresh.readAt ?? delivery.value.readAt };
    if (result === "not-delivered") return fresh;
  }
  return entry;
}
