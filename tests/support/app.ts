/** An app on an in-memory KV with the demo district, at a fixed moment. */
import { createApp } from "../../app.ts";
import { seedDemo } from "../../services/demo.ts";
import type { Db } from "../../services/store/kv.ts";
import type { Clock } from "../../services/time.ts";

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
  close(): void;
}

export async function testApp(opts: { seed?: boolean; demo?: boolean } = {}): Promise<TestApp> {
  const kv = await Deno.openKv(":memory:");
  const db = { kv, districtId: "demo" };
  const clock = new TestClock();
  if (opts.seed !== false) await seedDemo(db, clock);
  const app = createApp({ db, clock, demo: opts.demo ?? true, secureCookies: false, refreshMs: 60_000 });
  return { db, clock, app, close: () => kv.close() };
}

/** A browser-like client: keeps cookies, sends the CSRF token on unsafe requests. */
export class Client {
  cookies = new Map<string, string>();
  constructor(private app: TestApp["app"]) {}

  get csrf(): string {
    return this.cookies.get("messenger_csrf") ?? "";
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
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

  /** Posts a form, adding the CSRF token unless `csrf` is given (even ""). */
  post(path: string, fields: Record<string, string>, csrf?: string): Promise<Response> {
    const body = new URLSearchParams({ _csrf: csrf ?? this.csrf, ...fields });
    return this.request(path, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
  }

  async signIn(login: string, password: string): Promise<Response> {
    if (!this.csrf) await this.get("/signin");
    return this.post("/signin", { login, password });
  }
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
