/**
 * Email through Mailgun's HTTP API (`POST /v3/<domain>/messages`) with fetch
 * and FormData, in batches of up to 1,000 recipients a call.
 *
 * Not the official client: mailgun.js 14.0.1, tried under Deno 2.9.6 against
 * a loopback server, runs and can be pointed there (its `url` option), but
 * - its errors keep the status and message and drop the response's headers,
 *   so a 429's Retry-After is lost;
 * - a connection refused or a timeout comes back as status 400, the status
 *   of Mailgun's own refusal of a bad request: a passing failure and a final
 *   one look alike;
 * - an attachment given as a Uint8Array (what EmailOut carries) is left out
 *   of the request without a word: it takes Node Buffers, Blobs, streams and
 *   strings only;
 * - and it brings axios for one POST.
 *
 * A batch is one call per group of recipients: each recipient's own subject,
 * html and text travel in `recipient-variables` (keyed by address) and the
 * message says `%recipient.subject%` etc.; a field every recipient of the
 * call shares is sent as it is instead. Each item's tags become custom
 * variables, `v:<tag>`, per recipient through `%recipient.…%` too: Mailgun's
 * user manual ("Attaching Data to Messages") says a `v:` variable takes its
 * value from the recipient variables in a batch and comes back in that
 * recipient's events as `user-variables`. Recipient variables are always
 * sent, even when nothing differs: without them Mailgun sends one message
 * with every recipient in its To header.
 *
 * A General email's unsubscribe link is a recipient variable too: in
 * `h:List-Unsubscribe` (recipient variables fill headers as well as bodies;
 * django-anymail's Mailgun backend sends its per-recipient headers so) and
 * in place of the link in the bodies, so a newsletter without merge fields
 * still sends its body once a call, not once a recipient.
 *
 * Recipient variables are keyed by address and Mailgun ignores an address
 * given twice, so the same address twice in a batch (a guardian of two
 * students, say) goes in separate calls, as does a batch over 1,000.
 */
import {
  type Accepted,
  BatchPartlyAccepted,
  type EmailBatch,
  type EmailBatchItem,
  type EmailOut,
  ProviderError,
} from "./types.ts";
import { Semaphore } from "./pacing.ts";

export interface MailgunOptions {
  apiKey: string;
  /** The sending domain, e.g. mg.district.org. */
  domain: string;
  /** https://api.mailgun.net, or https://api.eu.mailgun.net for a domain in the EU region. */
  apiBase: string;
  from: string;
  /** Calls to Mailgun in flight at once from this client, whatever sends and batches they are for. Default 4. */
  concurrency?: number;
}

/** Recipients one call takes: Mailgun's limit for batch sending. */
export const MAILGUN_BATCH_MAX = 1000;

/** A call carries up to a thousand recipients' bodies and 10 MB of attachments; SEND_TIMEOUT_SECONDS is longer. */
const CALL_TIMEOUT_MS = 120_000;
const BODIES = ["subject", "html", "text"] as const;
/** Where each recipient's unsubscribe link goes (its header, its bodies): a key no tag or body uses. */
const UNSUBSCRIBE = "%recipient.unsubscribe%";
/** Tags name form fields and JSON keys Mailgun echoes back: kept to plain names. */
const TAG_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function mailgunEmail(options: MailgunOptions) {
  const endpoint = new URL(`/v3/${encodeURIComponent(options.domain)}/messages`, options.apiBase);
  const authorization = `Basic ${btoa(`api:${options.apiKey}`)}`;
  const slots = new Semaphore(Math.max(1, options.concurrency ?? 4));
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  /** One call: Mailgun's id for the message (without its angle brackets, as events carry it) and its words. */
  async function post(form: FormData): Promise<Accepted> {
    if (closed) throw new ProviderError("the Mailgun client is closed", false, "closed");
    await slots.take();
    if (closed) {
      // Waited for a slot while the client closed: not sent, so another instance can send it.
      slots.give();
      throw new ProviderError("the Mailgun client is closed", false, "closed");
    }
    const call = (async () => {
      let res: Response;
      let body: string;
      try {
        res = await fetch(endpoint, {
          method: "POST",
          headers: { Authorization: authorization },
          body: form,
          signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
        });
        body = await res.text();
      } catch (e) {
        // Refused, reset or timed out: Mailgun may or may not have queued it, and trying again is all there is.
        throw new ProviderError(`Mailgun could not be reached: ${(e as Error).message}`, false, "network");
      }
      return answer(res, body);
    })();
    inFlight.add(call);
    try {
      return await call;
    } finally {
      inFlight.delete(call);
      slots.give();
    }
  }

  return {
    /**
     * One email; its Message-ID is ours (mail.messageId), so replies and bounces outside Mailgun match it too. Not
     * tracked: a single email is a family's sign-in link, which must reach them as we wrote it, not through
     * Mailgun's click-tracking redirect (dispatch sends messages in batches).
     */
    send(mail: EmailOut): Promise<Accepted> {
      const { attachments, ...item } = mail;
      return post(callForm(options.from, [{ ...item, tags: {} }], attachments, { messageId: mail.messageId }));
    },

    /** One Accepted per item, in order; a batch refused in part throws BatchPartlyAccepted. */
    async sendBatch(batch: EmailBatch): Promise<Accepted[]> {
      for (const item of batch.items) {
        const bad = Object.keys(item.tags).find((tag) => !TAG_NAME.test(tag));
        if (bad !== undefined) throw new TypeError(`Mailgun tag names are letters, digits, - and _: ${bad}`);
      }
      if (new Set(batch.items.map((item) => item.unsubscribeUrl === undefined)).size > 1) {
        throw new TypeError("a batch is one message's emails: all with an unsubscribe link, or none");
      }
      const calls = splitIntoCalls(batch.items);
      const answers = await Promise.allSettled(
        calls.map((indexes) =>
          post(callForm(options.from, indexes.map((i) => batch.items[i]), batch.attachments, { tracked: true }))
        ),
      );
      const outcomes: (Accepted | ProviderError)[] = new Array(batch.items.length);
      answers.forEach((answered, n) => {
        if (answered.status === "rejected" && !(answered.reason instanceof ProviderError)) throw answered.reason;
        for (const i of calls[n]) {
          outcomes[i] = answered.status === "fulfilled" ? { ...answered.value } : answered.reason;
        }
      });
      const refused = outcomes.filter((o) => o instanceof ProviderError);
      if (refused.length === 0) return outcomes as Accepted[];
      if (refused.length < outcomes.length) throw new BatchPartlyAccepted(outcomes);
      throw refused.find((r) => r.code === "429") ?? refused[0];
    },

    /** Takes no more sends and waits for those in flight: a batch cut off halfway would be sent again. */
    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * Batch items as calls Mailgun can take, by index: an address's first
 * occurrence in the first round of calls, its second in the second, … (case
 * aside, as mail systems compare addresses), each round cut at the limit.
 */
function splitIntoCalls(items: Pick<EmailBatchItem, "to">[]): number[][] {
  const occurrences = new Map<string, number>();
  const rounds: number[][] = [];
  items.forEach((item, i) => {
    const address = item.to.toLowerCase();
    const round = occurrences.get(address) ?? 0;
    occurrences.set(address, round + 1);
    (rounds[round] ??= []).push(i);
  });
  return rounds.flatMap((round) =>
    Array.from(
      { length: Math.ceil(round.length / MAILGUN_BATCH_MAX) },
      (_, k) => round.slice(k * MAILGUN_BATCH_MAX, (k + 1) * MAILGUN_BATCH_MAX),
    )
  );
}

/** The form of one call: recipients with distinct addresses, at most MAILGUN_BATCH_MAX. */
function callForm(
  from: string,
  items: EmailBatchItem[],
  attachments: EmailOut["attachments"],
  { messageId, tracked = false }: { messageId?: string; tracked?: boolean },
): FormData {
  const form = new FormData();
  form.append("from", from);
  for (const item of items) form.append("to", item.to);
  const variables: Record<string, Record<string, string>> = Object.fromEntries(items.map((i) => [i.to, {}]));
  /**
   * The field once when every recipient's `shared` value is the same, else
   * each one's own value through `key`.
   */
  const perRecipient = (
    field: string,
    key: string,
    valueOf: (item: EmailBatchItem) => string,
    shared = valueOf,
  ) => {
    const first = shared(items[0]);
    if (items.every((item) => shared(item) === first)) return form.append(field, first);
    form.append(field, `%recipient.${key}%`);
    for (const item of items) variables[item.to][key] = valueOf(item);
  };
  // Each recipient's unsubscribe link is a recipient variable, so bodies that differ only by it still go once.
  if (items[0].unsubscribeUrl !== undefined) {
    for (const item of items) variables[item.to].unsubscribe = item.unsubscribeUrl!;
    form.append("h:List-Unsubscribe", `<${UNSUBSCRIBE}>`);
    form.append("h:List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
  }
  const linkAside = (item: EmailBatchItem, s: string) =>
    item.unsubscribeUrl ? s.replaceAll(item.unsubscribeUrl, UNSUBSCRIBE) : s;
  for (const body of BODIES) perRecipient(body, body, (item) => item[body], (item) => linkAside(item, item[body]));
  const tags = [...new Set(items.flatMap((item) => Object.keys(item.tags)))];
  tags.forEach((tag, n) => {
    // Keys of our own, so a tag named like a body ("subject") cannot clash with it.
    perRecipient(`v:${tag}`, `v${n}`, (item) => Object.hasOwn(item.tags, tag) ? item.tags[tag] : "");
  });
  form.append("recipient-variables", JSON.stringify(variables));
  // Tracked, a message's opens and clicks come back as events; "no" keeps a domain's own tracking setting off it.
  const tracking = tracked ? "yes" : "no";
  form.append("o:tracking", tracking);
  form.append("o:tracking-opens", tracking);
  form.append("o:tracking-clicks", tracking);
  if (messageId) form.append("h:Message-Id", messageId);
  for (const a of attachments) {
    form.append("attachment", new Blob([a.content as BlobPart], { type: a.contentType }), a.filename);
  }
  return form;
}

/** Mailgun's answer: the message accepted, or a ProviderError saying whether trying again can help. */
function answer(res: Response, body: string): Accepted {
  let parsed: { id?: unknown; message?: unknown } | undefined;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Proxies and some of Mailgun's own refusals answer in plain text.
  }
  const message = typeof parsed?.message === "string" ? parsed.message : body.trim().slice(0, 500) || res.statusText;
  const status = res.status;
  if (res.ok) {
    if (typeof parsed?.id === "string" && parsed.id) {
      return { providerId: parsed.id.replace(/^<(.*)>$/, "$1"), status: message || "queued" };
    }
    throw new ProviderError(`Mailgun answered ${status} without a message id: ${message}`, true, String(status));
  }
  if (status === 401 || status === 403 || status === 404) {
    throw new ProviderError(
      `Mailgun refused the request (${status} ${message}): check MAILGUN_API_KEY and MAILGUN_DOMAIN, ` +
        "and MAILGUN_API_BASE for a domain in the EU region (https://api.eu.mailgun.net)",
      true,
      String(status),
    );
  }
  if (status === 429) {
    throw new ProviderError(message, false, "429", retryAfterSeconds(res.headers.get("Retry-After")));
  }
  // A 400 (or 402, 413) is Mailgun's word on this request: sending it again gets the same answer.
  if (status >= 400 && status < 500) throw new ProviderError(message, true, String(status));
  throw new ProviderError(message, false, String(status));
}

/** Retry-After in seconds, given as seconds or as an HTTP date. */
function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
