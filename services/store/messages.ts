import { AuditEntry, Message, MessageSummary } from "../model.ts";
import { describeSchedule } from "../recurrence.ts";
import { type Db, type EntityDef, getEntity, listAll, newId, stageEntity, type Versioned } from "./kv.ts";
import { ConflictError } from "./kv.ts";

export function summarize(m: Message): MessageSummary {
  return {
    id: m.id,
    type: m.type,
    subject: m.subject,
    modes: m.modes,
    calendarId: m.calendarId,
    created: m.created,
    modified: m.modified,
    nextAt: m.nextAt,
    recurring: m.schedule.kind === "recurring",
    hasAttachment: m.attachments.length > 0,
    times: m.schedule.times,
    pattern: m.schedule.kind === "recurring" ? describeSchedule(m.schedule) : undefined,
    ...(m.outsideQuietHours && { outsideQuietHours: true }),
  };
}

/** Index prefixes of scheduled messages, ordered by next delivery. */
export const scheduledIndex = {
  all: (db: Db): Deno.KvKey => [db.districtId, "msg_next"],
  byCreator: (
    db: Db,
    userId: string,
  ): Deno.KvKey => [db.districtId, "msg_next_by_creator", userId],
  byCalendar: (
    db: Db,
    calendarId: string,
  ): Deno.KvKey => [db.districtId, "msg_next_by_calendar", calendarId],
};

/** Messages whose next delivery is due at `now`, oldest first, as the Scheduled index has them. */
export async function dueMessages(
  db: Db,
  now: number,
  limit = 500,
): Promise<{ at: number; id: string; type: MessageSummary["type"] }[]> {
  const due = [];
  const all = scheduledIndex.all(db);
  for await (const e of db.kv.list<MessageSummary>({ start: all, end: [...all, now + 1] }, { limit })) {
    due.push({ at: e.key[2] as number, id: e.key[3] as string, type: e.value.type });
  }
  return due;
}

const messageDef: EntityDef<Message> = {
  schema: Message,
  key: (db, m) => [db.districtId, "message", m.id],
  indexes: (db, m) => {
    if (m.nextAt === null) return [];
    const value = summarize(m);
    return [
      { key: [...scheduledIndex.all(db), m.nextAt, m.id], value },
      {
        key: [
          ...scheduledIndex.byCreator(db, m.created.userId),
          m.nextAt,
          m.id,
        ],
        value,
      },
      {
        key: [...scheduledIndex.byCalendar(db, m.calendarId), m.nextAt, m.id],
        value,
      },
    ];
  },
};

/** Adds a message change (and its index moves) to a larger atomic operation. */
export function stageMessage(
  op: Deno.AtomicOperation,
  db: Db,
  previous: Versioned<Message> | null,
  next: Message | null,
): Deno.AtomicOperation {
  return stageEntity(op, db, messageDef, previous, next);
}

export function getMessage(
  db: Db,
  id: string,
): Promise<Versioned<Message> | null> {
  return getEntity(db, Message, [db.districtId, "message", id]);
}

function auditKey(db: Db, messageId: string, at: number): Deno.KvKey {
  return [db.districtId, "audit", messageId, at, newId()];
}

/**
 * Writes a message change and its audit entry in one commit. `previous`
 * null creates; `next` null deletes (cancel). Throws ConflictError when
 * someone else saved the message since `previous` was read.
 */
export async function saveMessage(
  db: Db,
  previous: Versioned<Message> | null,
  next: Message | null,
  audit: AuditEntry,
): Promise<string> {
  const messageId = (next ?? previous?.value)!.id;
  const op = stageEntity(db.kv.atomic(), db, messageDef, previous, next);
  op.set(auditKey(db, messageId, audit.at), AuditEntry.parse(audit));
  const result = await op.commit();
  if (!result.ok) throw new ConflictError();
  return result.versionstamp;
}

/**
 * An audit entry that changes nothing in the message (a test sent to the
 * sender): kept under the message's id, so View Details' History lists it
 * once the draft is sent or, for Edit Message, at once.
 */
export async function addMessageAudit(db: Db, messageId: string, audit: AuditEntry): Promise<void> {
  await db.kv.set(auditKey(db, messageId, audit.at), AuditEntry.parse(audit));
}

export async function listAudit(
  db: Db,
  messageId: string,
): Promise<AuditEntry[]> {
  return (await listAll(db, [db.districtId, "audit", messageId], AuditEntry))
    .reverse();
}
