/**
 * A Mailgun-compatible messages API on loopback: checks Basic auth and the
 * domain, validates a send as Mailgun does and answers with Mailgun's JSON,
 * renders each recipient's message from the recipient variables, can be told
 * to fail, and posts signed webhook events back to the app in Mailgun's JSON
 * format (fields as in Mailgun's event samples; signed with the app's own
 * signMailgun, whose test checks it against openssl).
 *
 * Where Mailgun's behaviour is not documented the mock is stricter or
 * chooses, and says so: it requires `subject` and an entry in
 * `recipient-variables` for every `to` (Mailgun is said to accept a send
 * without a subject); the wording of its refusals of more than 1,000 `to` and
 * of a missing entry is its own; a duplicate `to` is ignored (the first
 * stands), as Mailgun's API reference says; a `%recipient.x%` with no value is left as written; an
 * `h:Message-Id` becomes the message's id in the answer and in the events; and `h:` headers are filled from
 * the recipient variables as the bodies are.
 *
 * By default events are posted as soon as a send is accepted, racing the
 * answer; `eventDelayMs` posts them that long after it. A call's events go
 * one at a time, recipient after recipient, in the order Mailgun reports
 * them: accepted, then delivered or failed, then opened or complained.
 *
 * For a large bench, `keep: false` keeps no call, message or event (each
 * recipient's rendered message and every event posted would be hundreds of
 * MB at 100,000 recipients) and `acceptedEvents: false` posts no "accepted"
 * events, as for an account whose webhooks are not set for them; `counts`
 * says what happened either way.
 */
import { type MailgunSignature, signMailgun } from "../../services/providers/mailgun_signature.ts";

export interface MockAttachment {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

/** One accepted call, as sent. */
export interface MailgunCall {
  /** Mailgun's answer's id, with its angle brackets. */
  id: string;
  from: string;
  /** The recipients, duplicates dropped. */
  to: string[];
  /** Every other text field as sent (subject, html, text, o:…, h:…, v:…), each with all its values. */
  fields: Record<string, string[]>;
  recipientVariables?: Record<string, Record<string, unknown>>;
  attachments: MockAttachment[];
}

/** One recipient's message, as Mailgun renders it from the call, whatever its scripted outcome. */
export interface RenderedEmail {
  to: string;
  /** The To header: the recipient alone in a batch with recipient variables, else every recipient of the call. */
  toHeader: string;
  from: string;
  subject: string;
  html?: string;
  text?: string;
  userVariables: Record<string, string>;
  /** The headers of its own (`h:<name>` fields), filled from its recipient variables as the bodies are. */
  headers: Record<string, string>;
  attachments: MockAttachment[];
  /** The message id events carry (no angle brackets). */
  messageId: string;
  /** Its call's index in `batches`. */
  call: number;
}

export interface WebhookPayload {
  signature: MailgunSignature;
  "event-data": Record<string, unknown>;
}

export interface MailgunMock {
  url: string;
  apiKey: string;
  domain: string;
  signingKey: string;
  /** Where events are posted; none are while it is unset. */
  webhookUrl?: string;
  /** Every call, with `keep` (the default); empty without. */
  batches: MailgunCall[];
  /** Every recipient's message, with `keep` (the default); empty without. */
  delivered: RenderedEmail[];
  /** What it took and posted so far, counted whatever `keep` says. */
  counts: MailgunCounts;
  /** The most sends it was answering at once so far. */
  mostAtOnce: number;
  /** Per recipient address: failed, permanent (550 5.1.1, no such account). */
  bounce: Set<string>;
  /** Per recipient address: failed, temporary (451). */
  tempfail: Set<string>;
  /** Per recipient address: delivered, then complained. */
  complain: Set<string>;
  /** Per recipient address: delivered, then opened (when the send asked for open tracking). */
  open: Set<string>;
  /** The next N sends answer with this HTTP status; a 429 with Retry-After when given. */
  failNext(n: number, status: 400 | 401 | 429 | 500, retryAfterSeconds?: number): void;
  /** Hold events until released. */
  hold: boolean;
  release(): Promise<void>;
  /** Resolves when every event posted so far has been answered. */
  settled(): Promise<void>;
  /** Every event posted, with the app's answer (with `keep`, the default; empty without). */
  posted: { payload: WebhookPayload; status: number }[];
  /**
   * Posts one event to webhookUrl, signed now with the signing key, or as
   * `sign` says: another key (forged), another timestamp (stale), the same
   * token and timestamp as an earlier post (a replay), or a signature as is.
   */
  postEvent(
    eventData: Record<string, unknown>,
    sign?: { signingKey?: string; timestamp?: string; token?: string; signature?: string },
  ): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export interface MailgunCounts {
  /** Sends accepted. */
  calls: number;
  /** Their recipients (duplicates in a call dropped, as Mailgun does). */
  recipients: number;
  /** Events posted and answered, by event ("delivered"). */
  events: Record<string, number>;
  /** Answers to events posted, by HTTP status; "unreachable" where the post itself failed. */
  answers: Record<string, number>;
}

export interface MailgunMockOptions {
  apiKey?: string;
  domain?: string;
  signingKey?: string;
  webhookUrl?: string;
  /** Each send is answered this long after it arrives. Default 0. */
  latencyMs?: number;
  /** Events start this long after the answer. Default: at once, racing the answer. */
  eventDelayMs?: number;
  /** The time events are signed and stamped with (ms), e.g. a test app's clock. Default Date.now. */
  now?: () => number;
  /** Keep every call, message and event posted (`batches`, `delivered`, `posted`). Default true; false only counts. */
  keep?: boolean;
  /** Post an "accepted" event before each recipient's outcome. Default true. */
  acceptedEvents?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const ADDRESS = /^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$/;
const RECIPIENT_VARIABLE = /%recipient\.([^%\s]+)%/g;

export function startMailgunMock(options: MailgunMockOptions = {}): MailgunMock {
  const apiKey = options.apiKey ?? "mock-mailgun-api-key-0123456789";
  const domain = options.domain ?? "mg.lincoln.example";
  const signingKey = options.signingKey ?? "mock-mailgun-signing-key-0123456789";
  const now = options.now ?? Date.now;
  const keep = options.keep ?? true;
  const held: (() => Promise<void>)[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let failures: { n: number; status: number; retryAfter?: number } = { n: 0, status: 500 };
  let seq = 0;
  let atOnce = 0;
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
  const refuse = (message: string) => json({ message }, 400);
  const track = <T>(p: Promise<T>) => {
    inFlight.add(p);
    // Whoever awaits p sees its failure; a chain of events nobody awaits just stops (an app that went away).
    p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  const tally = (counts: Record<string, number>, key: string) => counts[key] = (counts[key] ?? 0) + 1;

  const send = (payload: WebhookPayload): Promise<{ status: number; body: string }> => {
    const url = mock.webhookUrl;
    if (!url) return Promise.reject(new Error("mailgun mock: no webhookUrl to post to"));
    return track(
      fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) })
        .then(async (res) => {
          const body = await res.text();
          if (keep) mock.posted.push({ payload, status: res.status });
          tally(mock.counts.events, String(payload["event-data"].event));
          tally(mock.counts.answers, String(res.status));
          return { status: res.status, body };
        }, (e) => {
          tally(mock.counts.answers, "unreachable");
          throw e;
        }),
    );
  };
  const signed = (eventData: Record<string, unknown>, sign: Parameters<MailgunMock["postEvent"]>[1] = {}) => {
    const timestamp = sign.timestamp ?? String(Math.floor(now() / 1000));
    const token = sign.token ?? hex(25);
    const signature = sign.signature ?? signMailgun(sign.signingKey ?? signingKey, timestamp, token);
    return { signature: { timestamp, token, signature }, "event-data": eventData };
  };
  const later = (fn: () => Promise<void>) => {
    if (mock.hold) held.push(fn);
    else track(fn());
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    mock.mostAtOnce = Math.max(mock.mostAtOnce, ++atOnce);
    try {
      return await respond(req);
    } finally {
      atOnce--;
    }
  });

  async function respond(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.headers.get("Authorization") !== `Basic ${btoa(`api:${apiKey}`)}`) {
      return json({ message: "Invalid private key" }, 401);
    }
    const path = url.pathname.match(/^\/v3\/([^/]+)\/messages$/);
    if (!path || req.method !== "POST") return json({ message: "Not Found" }, 404);
    if (decodeURIComponent(path[1]) !== domain) return json({ message: `Domain not found: ${path[1]}` }, 404);
    if (failures.n > 0) {
      failures.n--;
      const { status, retryAfter } = failures;
      if (status === 400) return refuse("'to' parameter is not a valid address. please check documentation");
      if (status === 401) return json({ message: "Invalid private key" }, 401);
      if (status === 429) {
        return json({ message: "Too many requests" }, 429, retryAfter ? { "Retry-After": String(retryAfter) } : {});
      }
      return json({ message: "Internal Server Error" }, 500);
    }
    if (options.latencyMs) await sleep(options.latencyMs);
    const form = await req.formData();
    const fields: Record<string, string[]> = {};
    const attachments: MockAttachment[] = [];
    for (const [name, value] of form) {
      if (typeof value === "string") (fields[name] ??= []).push(value);
      else if (name === "attachment") {
        attachments.push({
          filename: value.name,
          contentType: value.type,
          bytes: new Uint8Array(await value.arrayBuffer()),
        });
      }
    }
    const one = (name: string) => fields[name]?.[0];
    const from = one("from");
    if (!from) return refuse("'from' parameter is missing");
    const to = dedupe((fields.to ?? []).flatMap((v) => v.split(",")).map(plainAddress).filter(Boolean));
    if (to.length === 0) return refuse("'to' parameter is missing");
    if (to.some((a) => !ADDRESS.test(a))) {
      return refuse("'to' parameter is not a valid address. please check documentation");
    }
    if (to.length > 1000) return refuse("Too many recipients: at most 1000 'to' addresses per message");
    const subject = one("subject");
    if (subject === undefined) return refuse("'subject' parameter is missing");
    if (one("text") === undefined && one("html") === undefined) {
      return refuse("Need at least one of 'text' or 'html' parameters specified");
    }
    let recipientVariables: Record<string, Record<string, unknown>> | undefined;
    if (one("recipient-variables") !== undefined) {
      try {
        recipientVariables = JSON.parse(one("recipient-variables")!);
      } catch {
        return refuse("'recipient-variables' parameter is not a valid JSON");
      }
      if (!isMap(recipientVariables) || !Object.values(recipientVariables).every(isMap)) {
        return refuse("'recipient-variables' parameter is not a valid JSON");
      }
      const missing = to.find((a) => !Object.hasOwn(recipientVariables!, a));
      if (missing) return refuse(`'recipient-variables' has no entry for ${missing}`);
    }
    delete fields.from;
    delete fields.to;
    delete fields["recipient-variables"];

    const customId = one("h:Message-Id")?.replace(/^<|>$/g, "");
    const messageId = customId ?? `${stamp(now())}.${++seq}.${hex(8).toUpperCase()}@${domain}`;
    const call: MailgunCall = { id: `<${messageId}>`, from, to, fields, recipientVariables, attachments };
    const index = keep ? mock.batches.push(call) - 1 : mock.counts.calls;
    mock.counts.calls++;
    mock.counts.recipients += to.length;
    const rendered = to.map((address): RenderedEmail => {
      const vars = recipientVariables?.[address] ?? {};
      const render = (s: string) =>
        s.replaceAll(RECIPIENT_VARIABLE, (whole, key) => Object.hasOwn(vars, key) ? String(vars[key]) : whole);
      const userVariables: Record<string, string> = {};
      const headers: Record<string, string> = {};
      for (const [name, values] of Object.entries(fields)) {
        if (name.startsWith("v:")) userVariables[name.slice(2)] = render(values[0]);
        if (name.startsWith("h:")) headers[name.slice(2)] = render(values[0]);
      }
      const html = one("html");
      const text = one("text");
      return {
        to: address,
        toHeader: recipientVariables ? address : to.join(", "),
        from,
        subject: render(subject),
        ...(html === undefined ? {} : { html: render(html) }),
        ...(text === undefined ? {} : { text: render(text) }),
        userVariables,
        headers,
        attachments,
        messageId,
        call: index,
      };
    });
    if (keep) mock.delivered.push(...rendered);
    const tracked = (name: string) => /^(yes|true)$/i.test(one(name) ?? "");
    const opensTracked = tracked("o:tracking-opens") ||
      (one("o:tracking-opens") === undefined && tracked("o:tracking"));
    const events = () => outcomes(rendered, opensTracked);
    if (options.eventDelayMs === undefined) later(events);
    else track(sleep(options.eventDelayMs).then(() => later(events)));
    return json({ id: call.id, message: "Queued. Thank you." });
  }

  /** Each recipient's events in turn, as the sets script them. */
  async function outcomes(rendered: RenderedEmail[], opensTracked: boolean): Promise<void> {
    if (!mock.webhookUrl) return;
    for (const email of rendered) {
      const address = email.to;
      if (options.acceptedEvents ?? true) await send(signed(eventData(email, "accepted", { "log-level": "info" })));
      if (mock.bounce.has(address)) {
        await send(signed(eventData(email, "failed", BOUNCE)));
        continue;
      }
      if (mock.tempfail.has(address)) {
        await send(signed(eventData(email, "failed", TEMPFAIL)));
        continue;
      }
      await send(signed(eventData(email, "delivered", DELIVERED)));
      if (mock.complain.has(address)) await send(signed(eventData(email, "complained", { "log-level": "warn" })));
      if (mock.open.has(address) && opensTracked) {
        await send(signed(eventData(email, "opened", { "log-level": "info" })));
      }
    }
  }

  function eventData(email: RenderedEmail, event: string, extra: Record<string, unknown>): Record<string, unknown> {
    return {
      event,
      id: hex(16),
      timestamp: now() / 1000,
      recipient: email.to,
      "recipient-domain": email.to.split("@")[1],
      ...extra,
      tags: [],
      campaigns: [],
      "user-variables": email.userVariables,
      message: {
        headers: { to: email.toHeader, "message-id": email.messageId, from: email.from, subject: email.subject },
        attachments: email.attachments.map((a) => ({
          filename: a.filename,
          "content-type": a.contentType,
          size: a.bytes.length,
        })),
      },
    };
  }

  const mock: MailgunMock = {
    url: `http://127.0.0.1:${server.addr.port}`,
    apiKey,
    domain,
    signingKey,
    webhookUrl: options.webhookUrl,
    batches: [],
    delivered: [],
    counts: { calls: 0, recipients: 0, events: {}, answers: {} },
    mostAtOnce: 0,
    bounce: new Set(),
    tempfail: new Set(),
    complain: new Set(),
    open: new Set(),
    failNext(n, status, retryAfter) {
      failures = { n, status, retryAfter };
    },
    hold: false,
    async release() {
      mock.hold = false;
      for (const fn of held.splice(0)) await track(fn());
    },
    async settled() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
    posted: [],
    postEvent: (eventData, sign) => send(signed(eventData, sign)),
    async close() {
      await mock.settled();
      await server.shutdown();
    },
  };
  return mock;
}

const DELIVERED = {
  "log-level": "info",
  "delivery-status": { code: 250, message: "OK", description: "", tls: true, "attempt-no": 1 },
};
const BOUNCE = {
  "log-level": "error",
  severity: "permanent",
  reason: "bounce",
  "delivery-status": {
    code: 550,
    "bounce-code": "5.1.1",
    "enhanced-code": "5.1.1",
    message: "5.1.1 The email account that you tried to reach does not exist",
    description: "",
    "attempt-no": 1,
  },
};
const TEMPFAIL = {
  "log-level": "warn",
  severity: "temporary",
  reason: "generic",
  "delivery-status": {
    code: 451,
    "enhanced-code": "4.7.652",
    message: "4.7.652 The mail server has exceeded the maximum number of connections.",
    description: "",
    "retry-seconds": 600,
    "attempt-no": 1,
  },
};

/** "Bob <bob@example.org>" → bob@example.org: recipient variables are keyed by the plain address. */
function plainAddress(to: string): string {
  return (to.match(/<([^<>]*)>\s*$/)?.[1] ?? to).trim();
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Mailgun ignores a duplicate address in `to`: the first one stands. */
function dedupe(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const key = a.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Mailgun's message ids start with the time: 20261126160000. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\D/g, "").slice(0, 14);
}
