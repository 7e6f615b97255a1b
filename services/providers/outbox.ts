/**
 * The dev default when no SMTP or Twilio is configured: every would-be
 * email, text and call is recorded in KV and listed at /outbox, so a new
 * install shows the whole flow without credentials.
 */
import { z } from "zod";
import { type Db, listPage, newId, type Page } from "../store/kv.ts";
import type { Clock } from "../time.ts";
import type { Accepted, Providers } from "./types.ts";

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

/**
 * `delayMs` makes each would-be send take that long, as a real provider's
 * round trip does: demos and browser tests can then watch Sending happen.
 */
export function outboxProviders(db: Db, clock: Clock, delayMs = 0): Providers {
  const record = async (entry: Omit<OutboxEntry, "id" | "at">): Promise<Accepted> => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const id = newId();
    const at = clock.now();
    await db.kv.set([db.districtId, "outbox", at, id], OutboxEntry.parse({ ...entry, id, at }), {
      expireIn: OUTBOX_TTL_MS,
    });
    return { providerId: `outbox-${id}`, status: "recorded in the outbox", final: "delivered" };
  };
  return {
    names: { email: "outbox", sms: "outbox", voice: "outbox" },
    concurrency: { email: 8, text: 8, voice: 8 },
    sendEmail: (m) =>
      record({
        kind: "email",
        to: m.to,
        subject: m.subject,
        body: m.text,
        attachments: m.attachments.map((a) => a.filename),
      }),
    sendText: (t) => record({ kind: "text", to: t.to, body: t.body, attachments: [] }),
    call: (c) => record({ kind: "voice", to: c.to, body: c.say, attachments: [] }),
    cancel: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}

export function listOutbox(db: Db, cursor?: string): Promise<Page<OutboxEntry>> {
  return listPage(db, [db.districtId, "outbox"], OutboxEntry, { limit: 100, cursor, reverse: true });
}
