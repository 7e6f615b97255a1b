/**
 * The composition root: configuration (the only place that reads the
 * environment) → KV → demo data → app → Deno.serve.
 */
import { DISTRICT_DEFAULTS } from "./services/model.ts";
import type { CountryCode } from "libphonenumber-js";
import { createApp } from "./app.ts";
import { seedDemo } from "./services/demo.ts";
import { systemClock } from "./services/time.ts";
import { randomToken } from "./services/auth.ts";
import { Dispatcher } from "./services/dispatch/dispatcher.ts";
import { Background } from "./services/background.ts";
import { buildProviders } from "./services/providers/index.ts";
import { buildTranslator } from "./services/translate/index.ts";
import { enforceRetention } from "./services/retention.ts";
import { KEEP_IMPORTS_DAYS, pruneImports } from "./services/roster/prune.ts";
import { createFirstAdmin, ensureDistrict, needsFirstAdmin } from "./services/setup.ts";
import { listenHostname, loadConfig } from "./config.ts";
import { openKvRetrying } from "./services/store/locked_retry.ts";

const loaded = loadConfig(Deno.env.toObject());
if ("problems" in loaded) {
  for (const problem of loaded.problems) console.error(problem);
  Deno.exit(1);
}
const { config } = loaded;

const kvPath = config.KV_PATH ?? (config.DENO_DEPLOYMENT_ID ? undefined : "./data/messenger.kv");
if (kvPath && kvPath !== ":memory:" && !kvPath.includes("://")) {
  const dir = kvPath.slice(0, kvPath.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
}
// Two instances on one KV file meet SQLite's lock: their operations wait it out instead of failing.
const kv = await openKvRetrying(kvPath);
const db = { kv, districtId: config.DISTRICT_ID };
const demo = config.MESSENGER_ENV === "demo";
if (demo) {
  console.log(
    "This is the DEMO: its accounts' passwords are shown on the sign-in page. " +
      "For a real district set MESSENGER_ENV=production (see the README's Deploy section).",
  );
  if (await seedDemo(db, systemClock)) console.log("Created the demo district.");
}
let setupToken: string | undefined;
if (!demo) {
  await ensureDistrict(db, {
    name: config.DISTRICT_NAME,
    timeZone: config.DISTRICT_TIME_ZONE,
    ...DISTRICT_DEFAULTS,
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
  mailgun: config.MAILGUN_API_KEY && config.MAILGUN_DOMAIN
    ? {
      apiKey: config.MAILGUN_API_KEY,
      domain: config.MAILGUN_DOMAIN,
      apiBase: config.MAILGUN_API_BASE,
      from: config.SMTP_FROM,
      concurrency: config.MAILGUN_CONCURRENCY,
    }
    : undefined,
  twilio: config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM
    ? {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      from: config.TWILIO_FROM,
      apiBase: config.TWILIO_API_BASE,
      concurrency: config.TWILIO_CONCURRENCY,
      mps: config.TWILIO_MPS,
      cps: config.TWILIO_CPS,
    }
    : undefined,
  outboxConcurrency: config.OUTBOX_CONCURRENCY,
});
const publicUrl = config.PUBLIC_URL?.replace(/\/$/, "") ?? `http://localhost:${config.PORT}`;
const dispatcher = new Dispatcher({
  db,
  clock: systemClock,
  providers,
  publicUrl,
  redial: { attempts: config.REDIAL_ATTEMPTS, intervalMs: config.REDIAL_MINUTES * 60_000 },
  phoneCountry: config.ROSTER_PHONE_COUNTRY as CountryCode,
  timing: {
    leaseMs: config.LEASE_SECONDS * 1000,
    sendTimeoutMs: config.SEND_TIMEOUT_SECONDS * 1000,
    statusWaitMs: config.STATUS_WAIT_MINUTES * 60_000,
  },
  slots: config.DISPATCH_SLOTS,
  shardSize: config.SEND_SHARD_SIZE,
  batchSize: config.SEND_BATCH,
  enqueue: config.MESSENGER_QUEUE === "on"
    ? (jobId) => kv.enqueue({ districtId: db.districtId, jobId }).catch((e) => console.error("enqueue failed:", e))
    : undefined,
});
if (config.MESSENGER_QUEUE === "on") {
  kv.listenQueue(async (msg: unknown) => {
    // A queued job is a nudge: the sweep runs it, or something more urgent first (an Emergency's shards).
    const { districtId } = msg as { districtId: string; jobId: string };
    if (districtId === db.districtId) await dispatcher.sweep();
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
  background: new Background(),
  clock: systemClock,
  demo,
  secureCookies: config.PUBLIC_URL?.startsWith("https:") ?? false,
  trustProxy: config.TRUST_PROXY === "on",
  refreshMs: config.REFRESH_SECONDS * 1000,
  setupToken,
  dispatcher,
  providers,
  phoneCountry: config.ROSTER_PHONE_COUNTRY as CountryCode,
  providerNames: providers.names,
  publicUrl,
  publicUrlConfigured: config.PUBLIC_URL !== undefined,
  twilioAuthToken: config.TWILIO_AUTH_TOKEN,
  mailgunSigningKey: config.MAILGUN_WEBHOOK_SIGNING_KEY,
  translator: buildTranslator({
    provider: config.TRANSLATE_PROVIDER,
    deeplApiKey: config.DEEPL_API_KEY,
    deeplServerUrl: config.DEEPL_SERVER_URL,
  }),
});

Deno.serve({
  port: config.PORT,
  hostname: listenHostname(config),
  onListen: ({ hostname, port }) =>
    console.log(`Messenger listening on http://${hostname}:${port}/${demo ? " (the demo)" : ""}`),
}, (request, info) => app.fetch(request, info));
