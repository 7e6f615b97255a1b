/**
 * The composition root: configuration (the only place that reads the
 * environment) → KV → demo data → app → Deno.serve.
 */
import { z } from "zod";
import { createApp } from "./app.ts";
import { seedDemo } from "./services/demo.ts";
import { systemClock } from "./services/time.ts";
import { randomToken } from "./services/auth.ts";
import { Dispatcher } from "./services/dispatch/dispatcher.ts";
import { outboxProviders } from "./services/providers/outbox.ts";
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
  ADMIN_LOGIN: z.string().regex(/^[a-z0-9._-]{2,40}$/i, "2 to 40 letters, digits, dots, dashes or underscores")
    .optional(),
  ADMIN_NAME: z.string().min(1).default("District administrator"),
  ADMIN_PASSWORD: z.string().min(MIN_PASSWORD, `at least ${MIN_PASSWORD} characters`).optional(),
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

const parsed = Config.safeParse(Deno.env.toObject());
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

const providers = outboxProviders(db, systemClock);
const dispatcher = new Dispatcher({
  db,
  clock: systemClock,
  providers,
  publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
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
Deno.cron("messenger dispatch", "* * * * *", () => dispatcher.tick());

const app = createApp({
  db,
  clock: systemClock,
  demo,
  secureCookies: config.PUBLIC_URL?.startsWith("https:") ?? false,
  refreshMs: config.REFRESH_SECONDS * 1000,
  setupToken,
  dispatcher,
  providerNames: providers.names,
});

Deno.serve({
  port: config.PORT,
  hostname: config.HOSTNAME,
  onListen: ({ hostname, port }) => console.log(`Messenger listening on http://${hostname}:${port}/`),
}, app.fetch);
