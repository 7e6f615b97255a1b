/**
 * The one interface between dispatch and the outside world. Dispatch never
 * talks to SMTP or Twilio except through these.
 */

export interface EmailOut {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Our id for this delivery: becomes the Message-ID, so replies and bounces can be matched. */
  messageId: string;
  /**
   * General email's one-click unsubscribe link for this address: sent as
   * `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
   * (RFC 8058). The bodies already show it; the provider writes the headers.
   */
  unsubscribeUrl?: string;
  attachments: { filename: string; contentType: string; content: Uint8Array }[];
}

/** One recipient of a batch: its own merged subject and bodies, and the ids that come back on its events. */
export interface EmailBatchItem extends Omit<EmailOut, "attachments"> {
  /** Sent as Mailgun custom variables (v:<name>), returned in each event's user-variables. Short ascii keys. */
  tags: Record<string, string>;
}

/** Many recipients' emails with the same attachments, handed to the provider in as few calls as it allows. */
export interface EmailBatch {
  items: EmailBatchItem[];
  attachments: EmailOut["attachments"];
}

export interface TextOut {
  to: string;
  body: string;
  /** Where Twilio reports the text's status; none for a text that is no delivery (a family's sign-in code). */
  statusCallback?: string;
}

export interface CallOut {
  to: string;
  /** The script read by text-to-speech. */
  say: string;
  statusCallback: string;
  /** The caller ID (E.164): the school's number; the provider's own (TWILIO_FROM) when unset. */
  from?: string;
  /** Where the provider fetches the call's TwiML (the message, and 1 to repeat it); else `say` is read once. */
  twimlUrl?: string;
  /** The language `say` is in (an IETF tag), read by its voice; none: English, Twilio's default voice. */
  language?: string;
}

/** What a provider said when it accepted a message or call. */
export interface Accepted {
  providerId: string;
  /** e.g. "queued" (Twilio), "250 OK" (SMTP), "delivered" (outbox, inbox). */
  status: string;
  /** The provider already knows the final outcome (no callback will follow). */
  final?: "delivered" | "sent";
}

/**
 * A refusal. `permanent` failures are recorded as failed; transient ones
 * (connection refused, 4xx SMTP, 429/5xx HTTP) are retried with backoff.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly code?: string,
    /** Seconds the provider asked us to wait (HTTP Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/**
 * A batch the provider had to send in several calls (the same address twice,
 * or more items than one call takes) of which some were accepted and some
 * refused: each item's own outcome, in order, so the accepted ones are not
 * sent again. The error itself is the refusal that matters most for pacing
 * (a 429 if there was one).
 */
export class BatchPartlyAccepted extends ProviderError {
  constructor(readonly outcomes: (Accepted | ProviderError)[]) {
    const refusals = outcomes.filter((o) => o instanceof ProviderError);
    const first = refusals.find((r) => r.code === "429") ?? refusals[0];
    super(
      `${outcomes.length - refusals.length} of ${outcomes.length} accepted; the rest refused: ${first.message}`,
      first.permanent,
      first.code,
      first.retryAfter,
    );
    this.name = "BatchPartlyAccepted";
  }
}

export interface Providers {
  /** "outbox", "smtp", "mailgun", "twilio": shown to administrators and in /healthz. */
  names: { email: string; sms: string; voice: string };
  /** Requests each channel keeps in flight from this instance: senders run that many at once. */
  concurrency: { email: number; text: number; voice: number };
  /** The email provider reports each email's fate after the hand-off (Mailgun's events): runs wait for it. */
  emailEvents?: boolean;
  sendEmail(mail: EmailOut): Promise<Accepted>;
  /**
   * Where the email provider takes many recipients in one call (Mailgun), up
   * to `max` (a larger batch, or one naming an address twice, goes in several
   * calls). One Accepted per item, in order, none `final`: the provider's
   * events decide. A refusal of the whole batch throws ProviderError; a batch
   * accepted in part throws BatchPartlyAccepted.
   */
  emailBatch?: { max: number; send(batch: EmailBatch): Promise<Accepted[]> };
  sendText(text: TextOut): Promise<Accepted>;
  call(call: CallOut): Promise<Accepted>;
  /** Stops a queued text or call; true when the provider confirms it will not go out. */
  cancel(kind: "text" | "voice", providerId: string): Promise<boolean>;
  close(): Promise<void>;
}
