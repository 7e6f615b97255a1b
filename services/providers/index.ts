/** Chooses each channel's provider: the real one where configured, else the outbox. */
import type { Db } from "../store/kv.ts";
import type { Clock } from "../time.ts";
import { outboxProviders } from "./outbox.ts";
import { smtpEmail, type SmtpOptions } from "./smtp.ts";
import { type TwilioOptions, twilioTelephony } from "./twilio.ts";
import type { Providers } from "./types.ts";

export interface ProviderConfig {
  smtp?: SmtpOptions;
  twilio?: TwilioOptions;
  /** Simulated latency of the outbox (demos, browser tests). */
  outboxDelayMs?: number;
}

export function buildProviders(db: Db, clock: Clock, config: ProviderConfig): Providers {
  const outbox = outboxProviders(db, clock, config.outboxDelayMs);
  const email = config.smtp ? smtpEmail(config.smtp) : null;
  const phone = config.twilio ? twilioTelephony(config.twilio) : null;
  return {
    names: {
      email: email ? "smtp" : "outbox",
      sms: phone ? "twilio" : "outbox",
      voice: phone ? "twilio" : "outbox",
    },
    sendEmail: email ? (m) => email.send(m) : outbox.sendEmail,
    sendText: phone ? (t) => phone.sendText(t) : outbox.sendText,
    call: phone ? (c) => phone.call(c) : outbox.call,
    cancel: phone ? (kind, id) => phone.cancel(kind, id) : outbox.cancel,
    close: async () => {
      await email?.close();
    },
  };
}
