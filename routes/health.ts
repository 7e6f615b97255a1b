import { Hono } from "hono";
import type { AppEnv } from "./env.ts";
import { getDistrict } from "../services/store/district.ts";

/** For load balancers: 200 when KV answers, 503 otherwise. */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", async (c) => {
  try {
    const district = await getDistrict(c.var.deps.db);
    return c.json({
      ok: true,
      kv: "reachable",
      district: district?.id ?? null,
    });
  } catch (e) {
    return c.json(
      { ok: false, kv: `unreachable: ${(e as Error).message}` },
      503,
    );
  }
});
