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
  attachments: { filename: string; contentType: string; content: Uint8Array }[];
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

export interface Providers {
  /** "outbox", "smtp", "twilio": shown to administrators and in /healthz. */
  names: { email: string; sms: string; voice: string };
  /** Requests each channel keeps in flight from this instance: senders run that many at once. */
  concurrency: { email: number; text: number; voice: number };
  sendEmail(mail: EmailOut): Promise<Accepted>;
  sendText(text: TextOut): Promise<Accepted>;
  call(call: CallOut): Promise<Accepted>;
  /** Stops a queued text or call; true when the provider confirms it will not go out. */
  cancel(kind: "text" | "voice", providerId: string): Promise<boolean>;
  close(): Promise<void>;
}
