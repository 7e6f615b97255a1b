/**
 * Stand-ins for the providers, each in its own Worker: on its own thread,
 * like a mail server or Twilio on another machine, a provider does not take
 * the event loop from the sender being measured. The main thread talks to a
 * worker by small request/answer messages; every answer is awaited with a
 * timeout, so a stuck worker fails the bench instead of hanging it.
 */
import type { MailgunCounts, MailgunMockOptions } from "../../tests/support/mailgun_mock.ts";
import type { TwilioMockOptions } from "../../tests/support/twilio_mock.ts";

/** How long any one request to a worker may take. */
const ANSWER_TIMEOUT_MS = 60_000;

// ---- The protocol, both sides.

type Handlers = Record<string, (arg: unknown) => unknown>;
interface Request {
  id: number;
  op: string;
  arg?: unknown;
}
interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** What a worker module's global scope offers (typed here: the project's lib is the window's). */
export interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent) => void) | null;
}

/** The worker's side: answers each request with its handler's result, or its error's message. */
export function serve(scope: WorkerScope, handlers: Handlers): void {
  scope.onmessage = async (e: MessageEvent<Request>) => {
    const { id, op, arg } = e.data;
    try {
      if (!Object.hasOwn(handlers, op)) throw new Error(`no such operation: ${op}`);
      scope.postMessage({ id, ok: true, value: await handlers[op](arg) } satisfies Answer);
    } catch (err) {
      scope.postMessage({ id, ok: false, error: String((err as Error)?.stack ?? err) } satisfies Answer);
    }
  };
}

/** The main thread's side: a worker from `module`, and a way to ask it things. */
function connect(module: URL, name: string) {
  const worker = new Worker(module, { type: "module", name });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let seq = 0;
  worker.onmessage = (e: MessageEvent<Answer>) => {
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    if (e.data.ok) p?.resolve(e.data.value);
    else p?.reject(new Error(`${name}: ${e.data.error}`));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    for (const p of pending.values()) p.reject(new Error(`${name} crashed: ${e.message}`));
    pending.clear();
  };
  return {
    call<T>(op: string, arg?: unknown): Promise<T> {
      const id = ++seq;
      let timer: ReturnType<typeof setTimeout>;
      const answered = new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, op, arg } satisfies Request);
      });
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name} did not answer "${op}" within ${ANSWER_TIMEOUT_MS / 1000} s`));
        }, ANSWER_TIMEOUT_MS);
      });
      return Promise.race([answered, late]).finally(() => clearTimeout(timer));
    },
    terminate: () => worker.terminate(),
  };
}

// ---- The SMTP sink.

export interface SmtpSink {
  url: string;
  /** Messages received so far, in all. */
  received(): Promise<number>;
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 that only counts what it receives (see smtp_sink_worker.ts). */
export function startSmtpSink(): Promise<SmtpSink> {
  return started(
    connect(new URL("./smtp_sink_worker.ts", import.meta.url), "smtp sink"),
    undefined,
    (w, { port }: { port: number }) => ({
      url: `smtp://127.0.0.1:${port}`,
      received: () => w.call<number>("received"),
    }),
  );
}

/**
 * Starts a worker's service and builds its handle, whose close stops the
 * service and then the worker; a worker that fails to start is ended.
 */
async function started<S, H>(
  w: ReturnType<typeof connect>,
  options: unknown,
  handle: (w: ReturnType<typeof connect>, started: S) => H,
): Promise<H & { close(): Promise<void> }> {
  try {
    const answer = await w.call<S>("start", options);
    return {
      ...handle(w, answer),
      async close() {
        try {
          await w.call("close");
        } finally {
          w.terminate();
        }
      },
    };
  } catch (e) {
    w.terminate();
    throw e;
  }
}

// ---- The Twilio mock.

export interface TwilioStats {
  /** Messages and calls created, in all. */
  creates: number;
  callbacksPosted: number;
  /** Creates by the port their StatusCallback names: with one PUBLIC_URL per instance, who sent what. */
  byCallbackPort: Record<string, number>;
}

export interface TwilioWorker {
  url: string;
  accountSid: string;
  authToken: string;
  stats(): Promise<TwilioStats>;
  close(): Promise<void>;
}

/** tests/support/twilio_mock.ts on 127.0.0.1, with its latency and callback delay (see twilio_mock_worker.ts). */
export function startTwilioWorker(options: TwilioMockOptions): Promise<TwilioWorker> {
  type Started = { url: string; accountSid: string; authToken: string };
  return started(
    connect(new URL("./twilio_mock_worker.ts", import.meta.url), "twilio mock"),
    options,
    (w, s: Started) => ({
      ...s,
      stats: () => w.call<TwilioStats>("stats"),
    }),
  );
}

// ---- The Mailgun mock.

/** What the bench chooses of the mock's options: it always counts instead of keeping (see mailgun_mock_worker.ts). */
export type MailgunWorkerOptions = Pick<MailgunMockOptions, "latencyMs" | "eventDelayMs" | "acceptedEvents">;

export interface MailgunStats extends MailgunCounts {
  /** The most sends it was answering at once. */
  mostAtOnce: number;
}

export interface MailgunWorker {
  url: string;
  apiKey: string;
  domain: string;
  /** The webhook signing key its events are signed with: the instances' MAILGUN_WEBHOOK_SIGNING_KEY. */
  signingKey: string;
  /** Posts events to `url` from now on (none while unset, as at the start). */
  webhook(url: string | undefined): Promise<void>;
  stats(): Promise<MailgunStats>;
  close(): Promise<void>;
}

/** tests/support/mailgun_mock.ts on 127.0.0.1, with its latency and event delay (see mailgun_mock_worker.ts). */
export function startMailgunWorker(options: MailgunWorkerOptions): Promise<MailgunWorker> {
  type Started = { url: string; apiKey: string; domain: string; signingKey: string };
  return started(
    connect(new URL("./mailgun_mock_worker.ts", import.meta.url), "mailgun mock"),
    options,
    (w, s: Started) => ({
      ...s,
      webhook: (url: string | undefined) => w.call<void>("webhook", url),
      stats: () => w.call<MailgunStats>("stats"),
    }),
  );
}
