/**
 * Configuration: the environment variables Messenger reads, checked with zod
 * (main.ts is the only place that reads the environment and hands them here).
 */
import { z } from "zod";
import { MIN_PASSWORD } from "./services/setup.ts";
import { DEFAULT_RETENTION_DAYS } from "./services/retention.ts";

const LOCAL = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export const Config = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  /** Unset: 127.0.0.1 for the demo (never reachable from elsewhere by accident), 0.0.0.0 in production. */
  HOSTNAME: z.string().min(1).optional(),
  /** Behind a reverse proxy: read the client address from X-Forwarded-For (for the sign-in throttle). */
  TRUST_PROXY: z.enum(["on", "off"]).default("off"),
  KV_PATH: z.string().optional(),
  /** Set by Deno Deploy: there the platform's KV is used when KV_PATH is unset. */
  DENO_DEPLOYMENT_ID: z.string().optional(),
  MESSENGER_ENV: z.enum(["demo", "production"]).default("demo"),
  DISTRICT_ID: z.string().regex(
    /^[a-z0-9-]{1,40}$/,
    "lowercase letters, digits and dashes",
  ).default("demo"),
  PUBLIC_URL: z.url().optional(),
  DISTRICT_NAME: z.string().min(1).default("School District"),
  DISTRICT_TIME_ZONE: z.string().refine(isTimeZone, "not an IANA time zone such as America/Chicago").default(
    "America/Chicago",
  ),
  /** Roster phone numbers without a country code are read as this country's (ISO 3166 alpha-2). */
  ROSTER_PHONE_COUNTRY: z.string().regex(/^[A-Z]{2}$/, "a two-letter country code such as US").default("US"),
  ADMIN_LOGIN: z.string().regex(/^[a-z0-9._-]{2,40}$/i, "2 to 40 letters, digits, dots, dashes or underscores")
    .optional(),
  ADMIN_NAME: z.string().min(1).default("District administrator"),
  ADMIN_PASSWORD: z.string().min(MIN_PASSWORD, `at least ${MIN_PASSWORD} characters`).optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "an smtp:// or smtps:// URL").optional(),
  /** The From of every email, by SMTP or by Mailgun. */
  SMTP_FROM: z.string().min(3).default("Messenger <messenger@localhost>"),
  SMTP_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(10),
  /**
   * Email through Mailgun's HTTP API, in batches. With MAILGUN_API_KEY and
   * MAILGUN_DOMAIN set, Mailgun sends every email even when SMTP_URL is set
   * too: Mailgun wins (its events say delivered, bounced, opened; an SMTP
   * server only takes the message).
   */
  MAILGUN_API_KEY: z.string().regex(/^\S{16,}$/, "at least 16 characters, no spaces").optional(),
  MAILGUN_DOMAIN: z.string().regex(DOMAIN, "a sending domain such as mg.district.org").optional(),
  /** The US region's API; https://api.eu.mailgun.net for a domain in the EU region. */
  MAILGUN_API_BASE: z.url().refine(
    isApiOrigin,
    "an https:// address with no path, such as https://api.mailgun.net or https://api.eu.mailgun.net",
  ).default("https://api.mailgun.net"),
  /** Mailgun's webhook signing key: an event from Mailgun is taken only when signed with it. */
  MAILGUN_WEBHOOK_SIGNING_KEY: z.string().regex(/^\S{16,}$/, "at least 16 characters, no spaces").optional(),
  /** Calls to Mailgun in flight per instance (a batch of up to 1,000 recipients is one). */
  MAILGUN_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, "AC followed by 32 hex digits").optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  TWILIO_FROM: z.string().regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, "an E.164 number or a Messaging Service SID")
    .optional(),
  /** Tests and staging: a Twilio-compatible API at another address. */
  TWILIO_API_BASE: z.url().optional(),
  /** Requests to Twilio in flight per instance. */
  TWILIO_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
  /** Messages per second from the sender, all instances together (a short code takes 100; unset: Twilio queues). */
  TWILIO_MPS: z.coerce.number().min(0.1).max(10_000).optional(),
  /** Calls per second, all instances together: Twilio's default for an account is 1. */
  TWILIO_CPS: z.coerce.number().min(0.1).max(1000).default(1),
  /** Machine translation: "deepl", or unset / "none" for none (staff type each language). */
  TRANSLATE_PROVIDER: z.enum(["deepl", "none"]).optional(),
  DEEPL_API_KEY: z.string().regex(/^\S{8,}$/, "DeepL's authentication key: at least 8 characters, no spaces")
    .optional(),
  /** Unset: DeepL's own (deepl-node picks api-free.deepl.com for a free key ending ":fx"); tests: a mock. */
  DEEPL_SERVER_URL: z.url().refine(
    isApiOrigin,
    "an https:// address with no path, such as https://api.deepl.com or https://api-free.deepl.com",
  ).optional(),
  /** Would-be sends in flight per instance in the dev outbox. */
  OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  REDIAL_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  REDIAL_MINUTES: z.coerce.number().min(0.01).max(240).default(10),
  RETENTION_DAYS: z.coerce.number().int().min(30).max(3650).default(DEFAULT_RETENTION_DAYS),
  OUTBOX_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** How often dispatch looks for due work; under 60 adds a timer to the per-minute cron. */
  DISPATCH_SECONDS: z.coerce.number().min(0.1).max(60).default(60),
  LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(120),
  /** Must exceed the longest provider call (SMTP: up to 90 s): a live send older than this is resent. */
  SEND_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(300),
  /** How long a text, call or (with Mailgun) email "sent" waits for the provider's word before it counts as final. */
  STATUS_WAIT_MINUTES: z.coerce.number().min(1).max(7 * 24 * 60).default(30),
  /** Jobs (send shards mostly) each instance runs at once. */
  DISPATCH_SLOTS: z.coerce.number().int().min(1).max(64).default(4),
  /** Deliveries one commit claims and one records (KV allows at most 90): the duplicate bound's second factor. */
  SEND_BATCH: z.coerce.number().int().min(1).max(90).default(90),
  /** Deliveries in one send shard: the unit of work instances share. */
  SEND_SHARD_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** "off" runs dispatch from the cron sweep alone (Deno Deploy, remote KV). */
  MESSENGER_QUEUE: z.enum(["on", "off"]).default("on"),
  REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
});
export type Config = z.infer<typeof Config>;

/** An API's origin: https, or http on this machine (a test's mock); no path, so `/v3/…` is ours to add. */
function isApiOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  const secure = url.protocol === "https:" || (url.protocol === "http:" && LOCAL.test(url.hostname));
  return secure && url.pathname === "/" && !url.search && !url.hash && !url.username;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The configuration, or the problems with it (one line each, naming the variable). */
export function loadConfig(env: Record<string, string>): { config: Config } | { problems: string[] } {
  const parsed = Config.superRefine((c, ctx) => {
    const twilio = [c.TWILIO_ACCOUNT_SID, c.TWILIO_AUTH_TOKEN, c.TWILIO_FROM];
    if (twilio.some(Boolean) && !twilio.every(Boolean)) {
      ctx.addIssue({
        code: "custom",
        path: ["TWILIO_ACCOUNT_SID"],
        message: "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM together",
      });
    }
    if (Boolean(c.MAILGUN_API_KEY) !== Boolean(c.MAILGUN_DOMAIN)) {
      ctx.addIssue({
        code: "custom",
        path: ["MAILGUN_API_KEY"],
        message: "set MAILGUN_API_KEY and MAILGUN_DOMAIN together",
      });
    }
    if (c.MAILGUN_WEBHOOK_SIGNING_KEY && !c.MAILGUN_API_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["MAILGUN_WEBHOOK_SIGNING_KEY"],
        message: "Mailgun's signing key without Mailgun: set MAILGUN_API_KEY and MAILGUN_DOMAIN too",
      });
    }
    if (c.TRANSLATE_PROVIDER === "deepl" && !c.DEEPL_API_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["DEEPL_API_KEY"],
        message: "TRANSLATE_PROVIDER=deepl needs DeepL's key: set DEEPL_API_KEY",
      });
    }
    if (!c.TRANSLATE_PROVIDER && (c.DEEPL_API_KEY || c.DEEPL_SERVER_URL)) {
      ctx.addIssue({
        code: "custom",
        path: ["TRANSLATE_PROVIDER"],
        message: "DeepL is set up but not chosen: set TRANSLATE_PROVIDER=deepl (or none to leave it off)",
      });
    }
    if (
      c.DEEPL_API_KEY?.endsWith(":fx") && c.DEEPL_SERVER_URL && new URL(c.DEEPL_SERVER_URL).hostname === "api.deepl.com"
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["DEEPL_SERVER_URL"],
        message: "a DeepL API Free key (ending :fx) works at https://api-free.deepl.com: leave DEEPL_SERVER_URL unset",
      });
    }
    // The demo prints its accounts' passwords on the sign-in page: it must never be the public site.
    if (c.MESSENGER_ENV === "demo" && c.PUBLIC_URL && !LOCAL.test(new URL(c.PUBLIC_URL).hostname)) {
      ctx.addIssue({
        code: "custom",
        path: ["MESSENGER_ENV"],
        message: `the demo (whose passwords the sign-in page shows) will not serve ${c.PUBLIC_URL}: ` +
          "set MESSENGER_ENV=production for a real district",
      });
    }
  }).safeParse(env);
  if (parsed.success) return { config: parsed.data };
  return { problems: parsed.error.issues.map((i) => `Configuration: ${i.path.join(".")}: ${i.message}`) };
}

/** Where to listen: the demo stays on this machine unless HOSTNAME says otherwise on purpose. */
export function listenHostname(config: Config): string {
  return config.HOSTNAME ?? (config.MESSENGER_ENV === "demo" ? "127.0.0.1" : "0.0.0.0");
}
