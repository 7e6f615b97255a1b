import { Hono } from "hono";
import type { AppEnv } from "./env.ts";
import { getDistrict } from "../services/store/district.ts";
import { getLastTick } from "../services/store/dispatch_state.ts";

/**
 * For load balancers and administrators: 200 when KV answers, 503
 * otherwise; with when dispatch last looked for work and which providers
 * are configured (never their credentials).
 */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", async (c) => {
  const { db, providerNames } = c.var.deps;
  try {
    const district = await getDistrict(db);
    const tick = await getLastTick(db);
    return c.json({
      ok: true,
      kv: "reachable",
      district: district?.id ?? null,
      lastDispatchTick: tick ? new Date(tick).toISOString() : null,
      providers: providerNames,
    });
  } catch (e) {
    return c.json({ ok: false, kv: `unreachable: ${(e as Error).message}` }, 503);
  }
});
