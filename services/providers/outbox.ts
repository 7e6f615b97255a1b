/**
 * The dev default when no SMTP or Twilio is configured: every would-be
 * email, text and call is recorded in KV and listed at /outbox, so a new
 * install shows the whole flow without credentials.
 */
import type { Db } from "../store/kv.ts";
import { addToOutbox, type OutboxEntry } from "../store/outbox.ts";
import type { Clock } from "../time.ts";
import type { Accepted, Providers } from "./types.ts";
import { repeatPrompt, sayVoiceFor } from "./twilio_voice.ts";

/**
 * `delayMs` makes each would-be send take that long, as a real provider's
 * round trip does: demos and browser tests can then watch Sending happen.
 */
export function outboxProviders(db: Db, clock: Clock, delayMs = 0): Providers {
  const record = async (entry: Omit<OutboxEntry, "id" | "at">): Promise<Accepted> => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const id = await addToOutbox(db, clock.now(), entry);
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
    // What Twilio would read: with its TwiML served by Messenger, the message ends with the prompt to repeat it.
    call: (c) =>
      record({
        kind: "voice",
        to: c.to,
        body: c.twimlUrl ? `${c.say} ${repeatPrompt(sayVoiceFor(c.language))}` : c.say,
        attachments: [],
      }),
    cancel: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}
