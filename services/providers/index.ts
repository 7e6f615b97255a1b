/** Chooses each channel's provider: the real one where configured, else the outbox. */
import type { Db } from "../store/kv.ts";
import type { Clock } from "../time.ts";
import { MAILGUN_BATCH_MAX, mailgunEmail, type MailgunOptions } from "./mailgun.ts";
import { outboxProviders } from "./outbox.ts";
import { smtpEmail, type SmtpOptions } from "./smtp.ts";
import { type TwilioOptions, twilioTelephony } from "./twilio.ts";
import type { EmailBatch, EmailOut, Providers } from "./types.ts";
import { paced } from "./pacing.ts";

export interface ProviderConfig {
  smtp?: SmtpOptions;
  /** Sends the email when set, SMTP or not. */
  mailgun?: MailgunOptions;
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

export const DEFAULT_CONCURRENCY = { outbox: 8, twilio: 20, twilioCps: 1, mailgun: 4 };

export function buildProviders(db: Db, clock: Clock, config: ProviderConfig): Providers {
  const outbox = outboxProviders(db, clock, config.outboxDelayMs);
  const mailgun = config.mailgun ? mailgunEmail(config.mailgun) : null;
  const email = config.smtp && !mailgun ? smtpEmail(config.smtp) : null;
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
  const mailgunPace = { concurrency: config.mailgun?.concurrency ?? DEFAULT_CONCURRENCY.mailgun };
  // One pace for single emails and batches alike: a batch is one request in flight, and a 429 pauses both.
  const viaMailgun = mailgun &&
    paced(
      db,
      "email",
      mailgunPace,
      (job: { mail: EmailOut } | { batch: EmailBatch }) =>
        "mail" in job ? mailgun.send(job.mail).then((accepted) => [accepted]) : mailgun.sendBatch(job.batch),
    );
  return {
    names: {
      email: mailgun ? "mailgun" : email ? "smtp" : "outbox",
      sms: phone ? "twilio" : "outbox",
      voice: phone ? "twilio" : "outbox",
    },
    concurrency: {
      email: mailgun ? mailgunPace.concurrency : emailPace.concurrency,
      text: phone ? textPace.concurrency : outboxPace.concurrency,
      voice: phone ? callPace.concurrency : outboxPace.concurrency,
    },
    sendEmail: viaMailgun
      ? async (mail) => (await viaMailgun({ mail }))[0]
      : paced(db, "email", emailPace, email ? (m) => email.send(m) : outbox.sendEmail),
    emailBatch: viaMailgun ? { max: MAILGUN_BATCH_MAX, send: (batch) => viaMailgun({ batch }) } : undefined,
    emailEvents: mailgun ? true : undefined,
    sendText: paced(db, "text", phone ? textPace : outboxPace, phone ? (t) => phone.sendText(t) : outbox.sendText),
    call: paced(db, "voice", phone ? callPace : outboxPace, phone ? (c) => phone.call(c) : outbox.call),
    cancel: phone ? (kind, id) => phone.cancel(kind, id) : outbox.cancel,
    close: async () => {
      await mailgun?.close();
      await email?.close();
    },
  };
}
