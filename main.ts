/**
 * The composition root: configuration (the only place that reads the
 * environment) → KV → demo data → app → Deno.serve.
 */
import { z } from "zod";
import { createApp } from "./app.ts";
import { seedDemo } from "./services/demo.ts";
import { systemClock } from "./services/time.ts";

const Config = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  HOSTNAME: z.string().default("0.0.0.0"),
  KV_PATH: z.string().default("./data/messenger.kv"),
  MESSENGER_ENV: z.enum(["demo", "production"]).default("demo"),
  DISTRICT_ID: z.string().regex(
    /^[a-z0-9-]{1,40}$/,
    "lowercase letters, digits and dashes",
  ).default("demo"),
  PUBLIC_URL: z.url().optional(),
  REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
});

const parsed = Config.safeParse(Deno.env.toObject());
if (!parsed.success) {
  for (const issue of parsed.error.issues) {
    console.error(`Configuration: ${issue.path.join(".")}: ${issue.message}`);
  }
  Deno.exit(1);
}
const config = parsed.data;

if (config.KV_PATH !== ":memory:" && !config.KV_PATH.includes("://")) {
  const dir = config.KV_PATH.slice(0, config.KV_PATH.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
}
const kv = await Deno.openKv(config.KV_PATH);
const db = { kv, districtId: config.DISTRICT_ID };
const demo = config.MESSENGER_ENV === "demo";
if (demo && await seedDemo(db, systemClock)) {
  console.log("Created the demo district.");
}

const app = createApp({
  db,
  clock: systemClock,
  demo,
  secureCookies: config.PUBLIC_URL?.startsWith("https:") ?? false,
  refreshMs: config.REFRESH_SECONDS * 1000,
});

Deno.serve({
  port: config.PORT,
  hostname: config.HOSTNAME,
  onListen: ({ hostname, port }) => console.log(`Messenger listening on http://${hostname}:${port}/`),
}, app.fetch);
