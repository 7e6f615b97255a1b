/**
 * The composition root: configuration (the only place that reads the
 * environment) → KV → demo data → app → Deno.serve.
 */
import { z } from "zod";
import type { CountryCode } from "libphonenumber-js";
import { createApp } from "./app.ts";
import { seedDemo } from "./services/demo.ts";
import { systemClock } from "./services/time.ts";
import { randomToken } from "./services/auth.ts";
import { Dispatcher } from "./services/dispatch/dispatcher.ts";
import { buildProviders } from "./services/providers/index.ts";
import { DEFAULT_RETENTION_DAYS, enforceRetention } from "./services/retention.ts";
import { KEEP_IMPORTS_DAYS, pruneImports } from "./services/roster/import.ts";
import { createFirstAdmin, ensureDistrict, MIN_PASSWORD, needsFirstAdmin } from "./services/setup.ts";

const Config = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  HOSTNAME: z.string().default("0.0.0.0"),
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
  SMTP_FROM: z.string().min(3).default("Messenger <messenger@localhost>"),
  SMTP_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(10),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, "AC followed by 32 hex digits").optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  TWILIO_FROM: z.string().regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, "an E.164 number or a Messaging Service SID")
    .optional(),
  /** Tests and staging: a Twilio-compatible API at another address. */
  TWILIO_API_BASE: z.url().optional(),
  REDIAL_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  REDIAL_MINUTES: z.coerce.number().min(0.01).max(240).default(10),
  RETENTION_DAYS: z.coerce.number().int().min(30).max(3650).default(DEFAULT_RETENTION_DAYS),
  OUTBOX_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** How often dispatch looks for due work; under 60 adds a timer to the per-minute cron. */
  DISPATCH_SECONDS: z.coerce.number().min(0.1).max(60).default(60),
  LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(120),
  /** Must exceed the longest provider call (SMTP: up to 90 s): a live send older than this is resent. */
  SEND_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(300),
  /** "off" runs dispatch from the cron sweep alone (Deno Deploy, remote KV). */
  MESSENGER_QUEUE: z.enum(["on", "off"]).default("on"),
  REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const parsed = Config.superRefine((c, ctx) => {
  const twilio = [c.TWILIO_ACCOUNT_SID, c.TWILIO_AUTH_TOKEN, c.TWILIO_FROM];
  if (twilio.some(Boolean) && !twilio.every(Boolean)) {
    ctx.addIssue({
      code: "custom",
      path: ["TWILIO_ACCOUNT_SID"],
      message: "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM together",
    });
  }
}).safeParse(Deno.env.toObject());
if (!parsed.success) {
  for (const issue of parsed.error.issues) {
    console.error(`Configuration: ${issue.path.join(".")}: ${issue.message}`);
  }
  Deno.exit(1);
}
const config = parsed.data;

const kvPath = config.KV_PATH ?? (config.DENO_DEPLOYMENT_ID ? undefined : "./data/messenger.kv");
if (kvPath && kvPath !== ":memory:" && !kvPath.includes("://")) {
  const dir = kvPath.slice(0, kvPath.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
}
const kv = await Deno.openKv(kvPath);
const db = { kv, districtId: config.DISTRICT_ID };
const demo = config.MESSENGER_ENV === "demo";
if (demo && await seedDemo(db, systemClock)) console.log("Created the demo district.");
let setupToken: string | undefined;
if (!demo) {
  await ensureDistrict(db, {
    name: config.DISTRICT_NAME,
    timeZone: config.DISTRICT_TIME_ZONE,
    dialingWindow: { start: "07:00", end: "21:00" },
  });
  if (await needsFirstAdmin(db)) {
    if (config.ADMIN_LOGIN && config.ADMIN_PASSWORD) {
      await createFirstAdmin(db, {
        login: config.ADMIN_LOGIN,
        name: config.ADMIN_NAME,
        password: config.ADMIN_PASSWORD,
      });
      console.log(`Created the first administrator "${config.ADMIN_LOGIN}" from ADMIN_LOGIN / ADMIN_PASSWORD.`);
    } else {
      setupToken = randomToken();
      console.log(`No administrator yet: open /setup and enter this set-up token: ${setupToken}`);
    }
  }
}

const providers = buildProviders(db, systemClock, {
  outboxDelayMs: config.OUTBOX_DELAY_MS,
  smtp: config.SMTP_URL
    ? { url: config.SMTP_URL, from: config.SMTP_FROM, maxConnections: config.SMTP_CONNECTIONS }
    : undefined,
  twilio: config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM
    ? {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      from: config.TWILIO_FROM,
      apiBase: config.TWILIO_API_BASE,
    }
    : undefined,
});
const publicUrl = config.PUBLIC_URL?.replace(/\/$/, "") ?? `http://localhost:${config.PORT}`;
const dispatcher = new Dispatcher({
  db,
  clock: systemClock,
  providers,
  publicUrl,
  redial: { attempts: config.REDIAL_ATTEMPTS, intervalMs: config.REDIAL_MINUTES * 60_000 },
  phoneCountry: config.ROSTER_PHONE_COUNTRY as CountryCode,
  timing: { leaseMs: config.LEASE_SECONDS * 1000, sendTimeoutMs: config.SEND_TIMEOUT_SECONDS * 1000 },
  enqueue: config.MESSENGER_QUEUE === "on"
    ? (jobId) => kv.enqueue({ districtId: db.districtId, jobId }).catch((e) => console.error("enqueue failed:", e))
    : undefined,
});
if (config.MESSENGER_QUEUE === "on") {
  kv.listenQueue(async (msg: unknown) => {
    const { districtId, jobId } = msg as { districtId: string; jobId: string };
    if (districtId === db.districtId) await dispatcher.runJob(jobId);
  });
}
const tick = () => dispatcher.tick().catch((e) => console.error("dispatch tick failed:", e));
Deno.cron("messenger dispatch", "* * * * *", tick);
Deno.cron("messenger retention", "30 8 * * *", async () => {
  const { deleted } = await enforceRetention(db, Date.now(), config.RETENTION_DAYS);
  if (deleted) console.log(`Retention: deleted ${deleted} runs older than ${config.RETENTION_DAYS} days.`);
  const pruned = await pruneImports(db, Date.now());
  if (pruned) console.log(`Retention: deleted ${pruned} roster imports older than ${KEEP_IMPORTS_DAYS} days.`);
});
if (config.DISPATCH_SECONDS < 60) {
  let ticking = false;
  setInterval(async () => {
    if (ticking) return;
    ticking = true;
    await tick();
    ticking = false;
  }, config.DISPATCH_SECONDS * 1000);
}

const app = createApp({
  db,
  clock: systemClock,
  demo,
  secureCookies: config.PUBLIC_URL?.startsWith("https:") ?? false,
  refreshMs: config.REFRESH_SECONDS * 1000,
  setupToken,
  dispatcher,
  providerNames: providers.names,
  publicUrl,
  publicUrlConfigured: config.PUBLIC_URL !== undefined,
  twilioAuthToken: config.TWILIO_AUTH_TOKEN,
});

Deno.serve({
  port: config.PORT,
  hostname: config.HOSTNAME,
  onListen: ({ hostname, port }) => console.log(`Messenger listening on http://${hostname}:${port}/`),
}, app.fetch);
