/** Chooses each channel's provider: the real one where configured, else the outbox. */
import type { Db } from "../store/kv.ts";
import type { Clock } from "../time.ts";
import { outboxProviders } from "./outbox.ts";
import { smtpEmail, type SmtpOptions } from "./smtp.ts";
import { type TwilioOptions, twilioTelephony } from "./twilio.ts";
import type { Providers } from "./types.ts";
import { paced } from "./pacing.ts";

export interface ProviderConfig {
  smtp?: SmtpOptions;
  twilio?: TwilioOptions & {
    /** Requests in flight per instance. */
    concurrency?: number;
    /** Messages per second for the sender, all instances together (Twilio queues beyond it). */
    mps?: number;
    /** Calls per second, all instances together: Twilio's default for an account is 1. */
    cps?: number;
  };
  /** Simulated latency of the outbox (demos, browser tests). */
  outboxDelayMs?: number;
  /** Would-be sends in flight per instance in the outbox. */
  outboxConcurrency?: number;
}

export const DEFAULT_CONCURRENCY = { outbox: 8, twilio: 20, twilioCps: 1 };

export function buildProviders(db: Db, clock: Clock, config: ProviderConfig): Providers {
  const outbox = outboxProviders(db, clock, config.outboxDelayMs);
  const email = config.smtp ? smtpEmail(config.smtp) : null;
  const phone = config.twilio ? twilioTelephony(config.twilio) : null;
  const outboxPace = { concurrency: config.outboxConcurrency ?? DEFAULT_CONCURRENCY.outbox };
  const twilio = config.twilio;
  const textPace = { concurrency: twilio?.concurrency ?? DEFAULT_CONCURRENCY.twilio, perSecond: twilio?.mps };
  const callPace = {
    concurrency: twilio?.concurrency ?? DEFAULT_CONCURRENCY.twilio,
    perSecond: twilio?.cps ?? DEFAULT_CONCURRENCY.twilioCps,
  };
  // nodemailer's pool already holds at most maxConnections sends at once.
  const emailPace = email ? { concurrency: config.smtp!.maxConnections ?? 10 } : outboxPace;
  return {
    names: {
      email: email ? "smtp" : "outbox",
      sms: phone ? "twilio" : "outbox",
      voice: phone ? "twilio" : "outbox",
    },
    concurrency: {
      email: emailPace.concurrency,
      text: phone ? textPace.concurrency : outboxPace.concurrency,
      voice: phone ? callPace.concurrency : outboxPace.concurrency,
    },
    sendEmail: paced(db, "email", emailPace, email ? (m) => email.send(m) : outbox.sendEmail),
    sendText: paced(db, "text", phone ? textPace : outboxPace, phone ? (t) => phone.sendText(t) : outbox.sendText),
    call: paced(db, "voice", phone ? callPace : outboxPace, phone ? (c) => phone.call(c) : outbox.call),
    cancel: phone ? (kind, id) => phone.cancel(kind, id) : outbox.cancel,
    close: async () => {
      await email?.close();
    },
  };
}
