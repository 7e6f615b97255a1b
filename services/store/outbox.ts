/**
 * The outbox: every would-be email, text and call when no SMTP or Twilio is
 * configured, newest first at /outbox, kept a week.
 */
import { z } from "zod";
import { type Db, listPage, newId, type Page } from "./kv.ts";

export const OutboxEntry = z.object({
  id: z.string(),
  at: z.number(),
  kind: z.enum(["email", "text", "voice"]),
  to: z.string(),
  subject: z.string().optional(),
  body: z.string(),
  attachments: z.array(z.string()).default([]),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

const OUTBOX_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const outboxPrefix = (db: Db): Deno.KvKey => [db.districtId, "outbox"];

/** Records an entry at `at`; returns its id. */
export async function addToOutbox(db: Db, at: number, entry: Omit<OutboxEntry, "id" | "at">): Promise<string> {
  const id = newId();
  await db.kv.set([...outboxPrefix(db), at, id], OutboxEntry.parse({ ...entry, id, at }), {
    expireIn: OUTBOX_TTL_MS,
  });
  return id;
}

export function listOutbox(db: Db, cursor?: string): Promise<Page<OutboxEntry>> {
  return listPage(db, outboxPrefix(db), OutboxEntry, { limit: 100, cursor, reverse: true });
}
