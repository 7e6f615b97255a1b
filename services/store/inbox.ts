/** The portal inbox: what a family reads when signed in to the portal, one entry per inbox delivery. */
import type { Db } from "./kv.ts";

export interface InboxEntry {
  subject: string;
  body: string;
  at: number;
}

export async function addToInbox(
  db: Db,
  delivery: { personId: string; runId: string; id: string },
  entry: InboxEntry,
): Promise<void> {
  await db.kv.set([db.districtId, "inbox", delivery.personId, delivery.runId, delivery.id], entry);
}
