/** An app on an in-memory KV with the demo district, at a fixed moment. */
import { createApp } from "../../app.ts";
import { seedDemo } from "../../services/demo.ts";
import type { Db } from "../../services/store/kv.ts";
import { type Clock, toWall } from "../../services/time.ts";
import type { Message } from "../../services/model.ts";
import { getMessage, saveMessage } from "../../services/store/messages.ts";
import { audit } from "./fixtures.ts";
import { Dispatcher } from "../../services/dispatch/dispatcher.ts";
import { dueJobIds, getJob } from "../../services/store/jobs.ts";
import { outboxProviders } from "../../services/providers/outbox.ts";
import type { Providers } from "../../services/providers/types.ts";
import { Background } from "../../services/background.ts";
import type { Translator } from "../../services/translate/translator.ts";

/** Thursday 26 November 2026, 10:00 America/Chicago. */
export const NOW = Date.parse("2026-11-26T16:00:00Z");

export class TestClock implements Clock {
  constructor(public at = NOW) {}
  now(): number {
    return this.at;
  }
}

export interface TestApp {
  db: Db;
  clock: TestClock;
  app: ReturnType<typeof createApp>;
  dispatcher: Dispatcher;
  /** Sign-in emails and texts go out here, after the response. */
  background: Background;
  close(): void;
}

export async function testApp(
  opts: {
    seed?: boolean;
    demo?: boolean;
    /** Providers, or how to build them on this app's KV and clock. */
    providers?: Providers | ((db: Db, clock: TestClock) => Providers);
    publicUrl?: string;
    publicUrlConfigured?: boolean;
    twilioAuthToken?: string;
    mailgunSigningKey?: string;
    redial?: { attempts: number; intervalMs: number };
    /** A KV that already holds a district (seed is then skipped). */
    kv?: Deno.Kv;
    /** Dispatch's jobs at once, deliveries per send shard and per send batch. */
    slots?: number;
    shardSize?: number;
    batchSize?: number;
    /** The machine-translation provider (none: the wizard has no Translate). */
    translator?: Translator;
  } = {},
): Promise<TestApp> {
  const kv = opts.kv ?? await Deno.openKv(":memory:");
  const db = { kv, districtId: "demo" };
  const clock = new TestClock();
  if (opts.seed !== false && !opts.kv) await seedDemo(db, clock);
  const providers = typeof opts.providers === "function"
    ? opts.providers(db, clock)
    : opts.providers ?? outboxProviders(db, clock);
  const publicUrl = opts.publicUrl ?? "http://127.0.0.1:9";
  const dispatcher = new Dispatcher({
    db,
    clock,
    providers,
    publicUrl,
    redial: opts.redial,
    slots: opts.slots,
    shardSize: opts.shardSize,
    batchSize: opts.batchSize,
  });
  const background = new Background();
  const app = createApp({
    db,
    background,
    clock,
    demo: opts.demo ?? true,
    secureCookies: false,
    trustProxy: true,
    refreshMs: 60_000,
    dispatcher,
    providers,
    providerNames: providers.names,
    publicUrl,
    publicUrlConfigured: opts.publicUrlConfigured,
    twilioAuthToken: opts.twilioAuthToken,
    mailgunSigningKey: opts.mailgunSigningKey,
    translator: opts.translator,
  });
  return { db, clock, app, dispatcher, background, close: () => kv.close() };
}

/** A browser-like client: keeps cookies, sends the CSRF token on unsafe requests. */
export class Client {
  cookies = new Map<string, string>();
  /** `target`: the app itself (app.request) or a running server (see `overHttp`). */
  constructor(
    private app: { request(path: string, init?: RequestInit): Response | Promise<Response> },
    /** Sent with every request, e.g. X-Forwarded-For to be another client address. */
    private extraHeaders: Record<string, string> = {},
  ) {}

  get csrf(): string {
    return this.cookies.get("messenger_csrf") ?? "";
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.extraHeaders)) headers.set(k, v);
    headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await this.app.request(path, { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [name, value] = pair.split("=");
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Posts a form (repeated keys for arrays), adding the CSRF token unless `csrf` is given (even ""). */
  post(path: string, fields: Record<string, string | string[]>, csrf?: string): Promise<Response> {
    const body = new URLSearchParams({ _csrf: csrf ?? this.csrf });
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
    return this.request(path, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
  }

  /** Posts multipart form data with files, as a browser's file input does. */
  postFiles(path: string, fields: Record<string, string>, files: { name: string; bytes: Uint8Array; type?: string }[]) {
    const form = new FormData();
    form.set("_csrf", this.csrf);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const f of files) {
      form.append("files", new File([f.bytes as BlobPart], f.name, { type: f.type ?? "text/csv" }));
    }
    return this.request(path, { method: "POST", body: form });
  }

  async signIn(login: string, password: string): Promise<Response> {
    if (!this.csrf) await this.get("/signin");
    return this.post("/signin", { login, password });
  }
}

/** A running server as a Client target: real HTTP, redirects not followed. */
export function overHttp(base: string) {
  return { request: (path: string, init: RequestInit = {}) => fetch(base + path, { ...init, redirect: "manual" }) };
}

export async function signedIn(t: TestApp, login: string): Promise<Client> {
  const client = new Client(t.app);
  const res = await client.signIn(login, `demo-${login}`);
  if (res.status !== 303) throw new Error(`sign-in as ${login} failed: ${res.status}`);
  await res.body?.cancel();
  return client;
}

/** The subjects listed on an Upcoming Messages page, in order. */
export function subjects(html: string): string[] {
  return [...html.matchAll(/<h3 class="subject">([^<]*)<\/h3>/g)].map((m) => m[1].replaceAll("&amp;", "&"));
}

/** Runs dispatch to the end, moving the test clock past each wait (retries, the finish check). */
export async function settle(t: TestApp, maxRounds = 40): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    await t.dispatcher.drain();
    const [id] = await dueJobIds(t.db, Number.MAX_SAFE_INTEGER, 1);
    const next = id ? await getJob(t.db, id) : null;
    if (!next) return;
    t.clock.at = Math.max(t.clock.at + 1000, next.value.leaseUntil ?? next.value.dueAt);
  }
  const left = await Promise.all((await dueJobIds(t.db, Number.MAX_SAFE_INTEGER)).map((id) => getJob(t.db, id)));
  throw new Error(`dispatch did not settle: ${JSON.stringify(left.map((j) => j?.value))}`);
}

/**
 * Makes a demo message due at `at` (NOW by default) as Send Now does: one
 * time, every mode at that minute. `change` overrides fields first.
 */
export async function makeDue(db: Db, id: string, change: Partial<Message> = {}, at = NOW): Promise<Message> {
  const current = (await getMessage(db, id))!;
  const wall = toWall(at, "America/Chicago");
  const modes = change.modes ?? current.value.modes;
  const next: Message = {
    ...current.value,
    ...change,
    modes,
    schedule: { kind: "once", date: wall.date, times: Object.fromEntries(modes.map((m) => [m, wall.time])) },
    nextAt: at,
  };
  await saveMessage(db, current, next, audit("edited"));
  return next;
}
