/**
 * Cancel Message / Cancel Series of a message still on the Scheduled list,
 * from View Details or Edit Message. (A run already in progress is canceled
 * by dispatch/cancel.ts.)
 */
import type { Message, User } from "../model.ts";
import { maySeeMessage } from "../rights.ts";
import type { Db, Versioned } from "../store/kv.ts";
import { getMessage, saveMessage } from "../store/messages.ts";

/** The message, if the user may see it and it still has a delivery ahead: what may be edited or canceled. */
export async function cancelableMessage(db: Db, user: User, messageId: string): Promise<Versioned<Message> | null> {
  const current = await getMessage(db, messageId);
  if (!current || !maySeeMessage(user, current.value) || current.value.nextAt === null) return null;
  return current;
}

/** Cancel Message / Cancel Series: the message leaves the Scheduled list; the audit keeps who and when. */
export async function cancelScheduled(db: Db, user: User, messageId: string, now: number): Promise<Message | null> {
  const current = await getMessage(db, messageId);
  if (!current || !maySeeMessage(user, current.value)) return null;
  if (current.value.canceled || current.value.nextAt === null) return null;
  const canceled = { userId: user.id, name: user.name, at: new Date(now).toISOString() };
  await saveMessage(db, current, { ...current.value, canceled, nextAt: null }, {
    at: now,
    userId: user.id,
    name: user.name,
    action: current.value.schedule.kind === "recurring" ? "canceled the series" : "canceled",
    changes: [],
  });
  return current.value;
}
