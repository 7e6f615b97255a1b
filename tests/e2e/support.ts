/**
 * End-to-end test support: the real app as a subprocess (in-memory KV,
 * a free port), Chromium through playwright-core, and small helpers for
 * signing in, waiting and screenshots.
 */
import assert from "node:assert/strict";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";

export const ROOT = new URL("../../", import.meta.url);
export const SCREENSHOTS = new URL("tests/e2e/screenshots/", ROOT);

/** CHROMIUM_PATH, else Debian's /usr/bin/chromium, else `chromium` on PATH (as scripts/ensure-chromium.sh). */
export function chromiumPath(): string {
  const explicit = Deno.env.get("CHROMIUM_PATH");
  if (explicit) return explicit;
  const candidates = ["/usr/bin/chromium"];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) if (dir) candidates.push(`${dir}/chromium`);
  for (const file of candidates) {
    try {
      if (Deno.statSync(file).isFile) return file;
    } catch {
      // Not there: try the next one.
    }
  }
  throw new Error("Chromium not found: run `sh scripts/ensure-chromium.sh` or set CHROMIUM_PATH");
}

/** How long any single wait may take before the test fails. */
export const TIMEOUT_MS = 15_000;

export const ACCOUNTS = {
  admin: { login: "admin", password: "demo-admin", name: "Dana Whitfield" },
  office: { login: "office", password: "demo-office", name: "Marcus Lee" },
  teacher: { login: "teacher", password: "demo-teacher", name: "Priya Natarajan" },
  comms: { login: "comms", password: "demo-comms", name: "Elena Ruiz" },
} as const;
export type Account = keyof typeof ACCOUNTS;

export interface RunningApp {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  /** Everything the app printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): number {
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

let built: Promise<void> | undefined;

/** Bundles the islands when the bundle is missing or older than its sources. */
export function ensureBundle(): Promise<void> {
  built ??= (async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/build.ts", "--if-stale"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      throw new Error(`building static/build/client.js failed:\n${text}`);
    }
  })();
  return built;
}

async function collect(stream: ReadableStream<Uint8Array>, sink: (s: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
    sink(decoder.decode());
  } catch {
    // The stream was canceled while stopping.
  }
}

/** Starts `deno run -A main.ts` on a free port and waits for /healthz. */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  await ensureBundle();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env: {
      MESSENGER_ENV: "demo",
      KV_PATH: ":memory:",
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      REFRESH_SECONDS: "2",
      NO_COLOR: "1",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const readers = Promise.all([
    collect(child.stdout, (s) => (log += s)),
    collect(child.stderr, (s) => (log += s)),
  ]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const baseUrl = `http://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  const app: RunningApp = {
    baseUrl,
    output: () => log,
    stop: () =>
      stopped ??= (async () => {
        if (!exited) {
          try {
            child.kill("SIGTERM");
          } catch {
            // It exited between the check and the kill.
          }
        }
        await status;
        await readers;
      })(),
  };

  const deadline = Date.now() + 30_000;
  while (true) {
    if (exited) {
      await app.stop();
      throw new Error(`the app exited before it answered on /healthz:\n${log}`);
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.ok) break;
      if (Date.now() > deadline) throw new Error(`/healthz answered ${res.status}: ${body}`);
    } catch (e) {
      if (Date.now() > deadline) {
        await app.stop();
        throw new Error(`the app did not answer on /healthz within 30 s (${e}):\n${log}`);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return app;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A context with the test's timeouts, and a page in it. */
export async function newPage(
  browser: Browser,
  options: Parameters<Browser["newContext"]>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(TIMEOUT_MS);
  context.setDefaultNavigationTimeout(TIMEOUT_MS);
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the form, as a person would, and waits for the landing page. */
export async function signIn(page: Page, baseUrl: string, who: Account): Promise<void> {
  const account = ACCOUNTS[who];
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel("Login", { exact: true }).fill(account.login);
  await page.getByLabel("Password", { exact: true }).fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/messages");
  await page.getByRole("banner").getByText(account.name, { exact: true }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const file = new URL(`${name}.png`, SCREENSHOTS);
  await page.screenshot({ path: file.pathname, fullPage: true });
}

/**
 * Screenshots at the test's 1280 px and at a phone's 390 px; at 390 px nothing in the page's main column may reach
 * past its right edge. Tables are left out: at phone width they scroll inside their own box (the shared CSS).
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await screenshot(page, `${name}-390`);
    const overflow = await page.locator("main").evaluate((main) => {
      const edge = main.getBoundingClientRect().right;
      const rights = [...main.querySelectorAll("*")].filter((el) => !el.closest("table"))
        .map((el) => el.getBoundingClientRect().right - edge);
      return Math.ceil(Math.max(0, ...rights));
    });
    assert.ok(overflow <= 0, `${name}: the page scrolls sideways by ${overflow} px at 390 px`);
  } finally {
    await page.setViewportSize(size);
  }
}

/**
 * Polls `probe` until it returns true (expect-style), failing with
 * `message` and the last value seen after `timeout` ms.
 */
export async function eventually(
  message: string,
  probe: () => Promise<boolean>,
  timeout = TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
      last = undefined;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeout} ms: ${message}${last ? ` (last error: ${last})` : ""}`);
}

/** The subjects of the entries currently in the list, in order. */
export function subjects(page: Page): Promise<string[]> {
  return page.locator("#upcoming-list li.entry h3.subject").allTextContents();
}

/** Waits until the listed subjects are exactly `expected` (any order). */
export async function expectSubjects(page: Page, expected: string[], timeout = TIMEOUT_MS): Promise<void> {
  const want = [...expected].sort();
  let seen: string[] = [];
  try {
    await eventually("list subjects", async () => {
      seen = (await subjects(page)).map((s) => s.trim()).sort();
      return JSON.stringify(seen) === JSON.stringify(want);
    }, timeout);
  } catch {
    throw new Error(`expected the list to show ${JSON.stringify(want)}, but it shows ${JSON.stringify(seen)}`);
  }
}

/** Waits until the locator's text matches `pattern`, failing with `message` and the last text seen. */
export async function expectText(
  locator: Locator,
  pattern: RegExp,
  message: string,
  timeout = TIMEOUT_MS,
): Promise<void> {
  let seen: string | null = null;
  try {
    await eventually(message, async () => {
      seen = await locator.first().textContent({ timeout: 1_000 });
      return pattern.test(seen?.trim() ?? "");
    }, timeout);
  } catch {
    throw new Error(`${message}: expected text matching ${pattern}, but it is ${JSON.stringify(seen)}`);
  }
}

/** Waits until the page URL's query has `want` (null: absent or empty), failing with the URL seen. */
export async function expectQuery(
  page: Page,
  want: Record<string, string | null>,
  message = "URL query",
  timeout = TIMEOUT_MS,
): Promise<void> {
  const ok = () => {
    const url = new URL(page.url());
    return url.pathname === "/messages" &&
      Object.entries(want).every(([k, v]) => v === null ? !url.searchParams.get(k) : url.searchParams.get(k) === v);
  };
  try {
    await eventually(message, () => Promise.resolve(ok()), timeout);
  } catch {
    throw new Error(`${message}: expected /messages with ${JSON.stringify(want)}, but the URL is ${page.url()}`);
  }
}

/** Waits until the locator matches no element (or only hidden ones). */
export function expectGone(locator: Locator): Promise<void> {
  return locator.first().waitFor({ state: "hidden" });
}

/** One list entry, found by its subject. */
export function entry(page: Page, subject: string): Locator {
  return page.locator("#upcoming-list li.entry").filter({
    has: page.locator("h3.subject", { hasText: subject }),
  });
}

/**
 * Runs `fn` with a fresh app, browser and page; saves a screenshot when it
 * fails and always cleans up.
 */
export async function withApp(
  name: string,
  fn: (ctx: { app: RunningApp; browser: Browser; page: Page; context: BrowserContext }) => Promise<void>,
  options: { env?: Record<string, string>; context?: Parameters<Browser["newContext"]>[0] } = {},
): Promise<void> {
  // A failure screenshot from an earlier run would mislead.
  await Deno.remove(new URL(`FAILED-${name}.png`, SCREENSHOTS)).catch(() => {});
  const app = await startApp(options.env);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const { context, page } = await newPage(browser, options.context);
    try {
      await fn({ app, browser, page, context });
    } catch (e) {
      await screenshot(page, `FAILED-${name}`).catch(() => {});
      const out = app.output();
      if (out.includes("failed:")) console.error(`app output:\n${out}`);
      throw e;
    } finally {
      await context.close();
    }
  } finally {
    await browser?.close();
    await app.stop();
  }
}
