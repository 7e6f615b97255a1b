/**
 * Texts and calls through Twilio's REST API with the official client. Its
 * HTTP goes through fetch (the client's `httpClient` option), which also
 * lets tests point it at a local Twilio-compatible mock (`apiBase`).
 */
import { type Accepted, type CallOut, ProviderError, type TextOut } from "./types.ts";
import { inlineTwiml, sayVoiceFor } from "./twilio_voice.ts";

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164) or a Messaging Service SID (MG…). */
  from: string;
  /** Replaces https://api.twilio.com etc. (tests). */
  apiBase?: string;
}

interface RequestOpts {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
  timeout?: number;
}

function formBody(data: Record<string, unknown>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) body.append(k, String(item));
  }
  return body;
}

/** A fetch-based stand-in for twilio's RequestClient. */
function fetchClient(apiBase?: string) {
  return {
    async request(opts: RequestOpts) {
      const url = new URL(opts.uri);
      const target = apiBase ? new URL(url.pathname, apiBase) : url;
      for (const [k, v] of Object.entries(opts.params ?? {})) {
        if (v !== undefined) target.searchParams.set(k, String(v));
      }
      const headers = new Headers(opts.headers);
      if (opts.username) headers.set("Authorization", `Basic ${btoa(`${opts.username}:${opts.password ?? ""}`)}`);
      let body: URLSearchParams | undefined;
      if (opts.data && opts.method.toUpperCase() !== "GET") {
        body = formBody(opts.data);
        headers.set("Content-Type", "application/x-www-form-urlencoded");
      }
      const res = await fetch(target, {
        method: opts.method.toUpperCase(),
        headers,
        body,
        signal: AbortSignal.timeout(opts.timeout ?? 30_000),
      });
      return { statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
    },
  };
}

interface TwilioFailure {
  status?: number;
  code?: number;
  message?: string;
  moreInfo?: string;
}

/** Twilio error codes that will not change by trying again. */
const PERMANENT_CODES = new Set([21211, 21214, 21217, 21610, 21612, 21614, 21408, 13224, 13223]);

function toProviderError(e: unknown): ProviderError {
  const err = e as TwilioFailure & Error;
  const status = err.status ?? 0;
  const code = err.code;
  if (status === 429 || code === 20429 || status >= 500 || status === 0) {
    return new ProviderError(err.message ?? String(e), false, String(code ?? status));
  }
  const permanent = (code !== undefined && PERMANENT_CODES.has(code)) || (status >= 400 && status < 500);
  return new ProviderError(err.message ?? String(e), permanent, String(code ?? status));
}

export function twilioTelephony(options: TwilioOptions) {
  // Loaded only when Twilio is configured: the client is large.
  const client = import("twilio").then((m) =>
    m.default(options.accountSid, options.authToken, { httpClient: fetchClient(options.apiBase) as never })
  );
  const from = options.from.startsWith("MG") ? { messagingServiceSid: options.from } : { from: options.from };
  return {
    async sendText(t: TextOut): Promise<Accepted> {
      try {
        const m = await (await client).messages.create({
          to: t.to,
          body: t.body,
          statusCallback: t.statusCallback,
          ...from,
        });
        return { providerId: m.sid, status: m.status };
      } catch (e) {
        throw toProviderError(e);
      }
    },
    async call(c: CallOut): Promise<Accepted> {
      try {
        const call = await (await client).calls.create({
          to: c.to,
          from: c.from ?? options.from,
          ...(c.twimlUrl
            ? { url: c.twimlUrl, method: "POST" }
            : { twiml: inlineTwiml(c.say, sayVoiceFor(c.language)) }),
          // Twilio fetches the TwiML once it knows who answered; a machine only after its greeting's beep.
          machineDetection: "DetectMessageEnd",
          statusCallback: c.statusCallback,
          statusCallbackEvent: ["completed"],
        });
        return { providerId: call.sid, status: call.status };
      } catch (e) {
        throw toProviderError(e);
      }
    },
    /** Stops a queued or ringing call, or a message Twilio has not sent yet. */
    async cancel(kind: "text" | "voice", sid: string): Promise<boolean> {
      try {
        const twilio = await client;
        if (kind === "voice") return (await twilio.calls(sid).update({ status: "canceled" })).status === "canceled";
        return (await twilio.messages(sid).update({ status: "canceled" })).status === "canceled";
      } catch {
        return false; // Already under way or finished: its status callback tells the outcome.
      }
    },
  };
}
