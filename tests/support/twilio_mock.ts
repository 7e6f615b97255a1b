/**
 * A Twilio-compatible REST API on loopback: checks Basic auth and the
 * parameters like Twilio, answers with Twilio-shaped JSON, can be told to
 * fail, and posts signed status callbacks back to the app as Twilio does
 * (signed with the official library's own signing function).
 *
 * By default it answers at once and posts a text's or call's callbacks
 * before answering the create (so the app sees them race its own record of
 * the send). The options make it behave like Twilio over a network: each
 * create answered after `latencyMs`, callbacks posted `callbackDelayMs`
 * after the answer.
 *
 * A call created with a Url is answered as Twilio answers it: a signed POST
 * to the Url (with AnsweredBy when MachineDetection was asked for), then for
 * each <Gather> in the TwiML returned the next key press set for that number
 * posted as Digits to the Gather's action, and only then the status callback.
 */
import twilio from "twilio";

export interface Sent {
  kind: "text" | "voice";
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string;
  status: string;
  /** Voice: where the call's TwiML is fetched (Url) and the MachineDetection asked for. */
  twimlUrl?: string;
  machineDetection?: string;
  /** Voice: each TwiML request made for the call, in order (answered, then one per key press), with the reply. */
  twiml: TwimlRequest[];
}

export interface TwimlRequest {
  url: string;
  params: Record<string, string>;
  status: number;
  body: string;
}

export interface TwilioMock {
  url: string;
  accountSid: string;
  authToken: string;
  sent: Sent[];
  /** Per destination number: answer the create with this Twilio error (HTTP 400), e.g. 21610, 21211. */
  refuse: Map<string, number>;
  /** Per destination number: the call ends with this status instead of "completed" (busy, no-answer). */
  callOutcome: Map<string, string[]>;
  /** Per destination number: the AnsweredBy of an answered call with MachineDetection (default "human"). */
  answeredBy: Map<string, string>;
  /** Per destination number: the key pressed at each <Gather>, in turn; when none is left the Gather times out. */
  keyPresses: Map<string, string[]>;
  /** The next N creates answer with this HTTP status (429 or 500). */
  failNext(n: number, status: 429 | 500): void;
  /** Hold callbacks until released (to cancel mid-send). */
  hold: boolean;
  release(): Promise<void>;
  /** Resolves when every callback posted so far has been answered. */
  settled(): Promise<void>;
  callbacksPosted: number;
  close(): Promise<void>;
}

export interface TwilioMockOptions {
  /** Each create is answered this long after it arrives (Twilio's round trip). Default 0. */
  latencyMs?: number;
  /** Callbacks start this long after the create is answered. Default: posted at once, before the answer. */
  callbackDelayMs?: number;
}

export const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startTwilioMock(
  authToken = "mock-auth-token-0123456789",
  options: TwilioMockOptions = {},
): TwilioMock {
  const sent: Sent[] = [];
  const refuse = new Map<string, number>();
  const callOutcome = new Map<string, string[]>();
  const answeredBy = new Map<string, string>();
  const keyPresses = new Map<string, string[]>();
  const held: (() => Promise<unknown>)[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let failures: { n: number; status: number } = { n: 0, status: 500 };
  let seq = 0;
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  const error = (status: number, code: number, message: string) =>
    json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status);

  /** A signed POST as Twilio makes it: the reply, or null when the app could not be reached. */
  const signed = (url: string, params: Record<string, string>) => {
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    const p = fetch(url, {
      method: "POST",
      headers: { "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    }).then(async (r) => ({ status: r.status, body: await r.text() })).catch(() => null);
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
    return p;
  };
  const post = (url: string, params: Record<string, string>) => {
    mock.callbacksPosted++;
    return signed(url, params);
  };
  /** The call answered: its TwiML fetched, and each Gather given the next key press for the number. */
  const answer = async (item: Sent) => {
    const base = {
      AccountSid: ACCOUNT_SID,
      CallSid: item.sid,
      CallStatus: "in-progress",
      To: item.to,
      From: item.from,
    };
    let url: string | undefined = item.twimlUrl!;
    let params: Record<string, string> = item.machineDetection
      ? { ...base, AnsweredBy: answeredBy.get(item.to) ?? "human" }
      : base;
    while (url) {
      const reply = await signed(url, params);
      item.twiml.push({ url, params, status: reply?.status ?? 0, body: reply?.body ?? "" });
      const action = reply?.status === 200 ? reply.body.match(/<Gather\b[^>]*\baction="([^"]*)"/)?.[1] : undefined;
      const digits = action === undefined ? undefined : keyPresses.get(item.to)?.shift();
      url = digits === undefined ? undefined : unescapeXml(action!);
      params = { ...base, Digits: digits ?? "" };
    }
  };
  const later = (fn: () => Promise<unknown>) => {
    if (mock.hold) held.push(fn);
    else fn();
  };
  /** Callbacks after the answer, when asked for: counted in flight meanwhile, so settled() waits for them. */
  const afterAnswer = (fn: () => Promise<unknown>) => {
    if (options.callbackDelayMs === undefined) return later(fn);
    const p = sleep(options.callbackDelayMs).then(() => later(fn));
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const expected = `Basic ${btoa(`${ACCOUNT_SID}:${authToken}`)}`;
    if (req.headers.get("Authorization") !== expected) return error(401, 20003, "Authenticate");
    const base = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
    const form = Object.fromEntries(new URLSearchParams(await req.text()));
    const update = url.pathname.match(new RegExp(`^${base}/(Messages|Calls)/(\\w+)\\.json$`));
    if (update && req.method === "POST") {
      const item = sent.find((s) => s.sid === update[2]);
      if (!item) return error(404, 20404, "The requested resource was not found");
      if (form.Status === "canceled" && (item.status === "queued" || item.status === "ringing")) {
        item.status = "canceled";
        later(() => post(item.statusCallback, statusParams(item, "canceled")));
      }
      return json({ sid: item.sid, status: item.status });
    }
    const create = url.pathname.match(new RegExp(`^${base}/(Messages|Calls)\\.json$`));
    if (!create || req.method !== "POST") return error(404, 20404, "The requested resource was not found");
    if (failures.n > 0) {
      failures.n--;
      return failures.status === 429
        ? error(429, 20429, "Too Many Requests")
        : error(500, 20500, "An internal server error has occurred");
    }
    if (options.latencyMs) await sleep(options.latencyMs);
    const kind = create[1] === "Messages" ? "text" : "voice";
    if (!form.To) return error(400, 21604, "A 'To' phone number is required.");
    if (!form.From && !form.MessagingServiceSid) return error(400, 21603, "A 'From' phone number is required.");
    if (kind === "text" && !form.Body) return error(400, 21602, "Message body is required.");
    if (kind === "voice" && !form.Twiml && !form.Url) return error(400, 21205, "Url parameter is required.");
    const code = refuse.get(form.To);
    if (code) {
      return error(
        400,
        code,
        code === 21610 ? "Attempt to send to unsubscribed recipient" : "Invalid 'To' Phone Number",
      );
    }
    const item: Sent = {
      kind,
      sid: `${kind === "text" ? "SM" : "CA"}${String(++seq).padStart(32, "0")}`,
      to: form.To,
      from: form.From ?? form.MessagingServiceSid,
      body: form.Body ?? form.Twiml ?? "",
      statusCallback: form.StatusCallback,
      status: "queued",
      twimlUrl: form.Url,
      machineDetection: form.MachineDetection,
      twiml: [],
    };
    sent.push(item);
    if (item.statusCallback) {
      afterAnswer(async () => {
        if (item.status === "canceled") return;
        if (kind === "text") {
          item.status = "sent";
          await post(item.statusCallback, statusParams(item, "sent"));
          item.status = "delivered";
          await post(item.statusCallback, statusParams(item, "delivered"));
        } else {
          const outcome = callOutcome.get(item.to)?.shift() ?? "completed";
          if (outcome === "completed" && item.twimlUrl) {
            item.status = "in-progress";
            await answer(item);
          }
          item.status = outcome;
          await post(item.statusCallback, statusParams(item, item.status));
        }
      });
    }
    return json({ sid: item.sid, status: "queued", to: item.to, from: item.from, account_sid: ACCOUNT_SID }, 201);
  });

  const mock: TwilioMock = {
    url: `http://127.0.0.1:${server.addr.port}`,
    accountSid: ACCOUNT_SID,
    authToken,
    sent,
    refuse,
    callOutcome,
    answeredBy,
    keyPresses,
    failNext(n, status) {
      failures = { n, status };
    },
    hold: false,
    async release() {
      mock.hold = false;
      for (const fn of held.splice(0)) await fn();
    },
    async settled() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
    callbacksPosted: 0,
    async close() {
      await mock.settled();
      await server.shutdown();
    },
  };
  return mock;
}

const unescapeXml = (s: string) =>
  s.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

function statusParams(item: Sent, status: string): Record<string, string> {
  return item.kind === "text"
    ? { AccountSid: ACCOUNT_SID, MessageSid: item.sid, MessageStatus: status, To: item.to, From: item.from }
    : { AccountSid: ACCOUNT_SID, CallSid: item.sid, CallStatus: status, To: item.to, From: item.from };
}
