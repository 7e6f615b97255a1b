/**
 * Every page belongs to the district: until main.ts has created one there is
 * nothing to show, so every later middleware and route may rely on it.
 */
import type { MiddlewareHandler } from "hono";
import { getDistrict } from "../services/store/district.ts";
import type { AppEnv } from "../routes/env.ts";

export const district: MiddlewareHandler<AppEnv> = async (c, next) => {
  const found = await getDistrict(c.var.deps.db);
  if (!found) return c.text("Messenger has no district yet: start it once to create one.", 503);
  c.set("district", found);
  c.set("user", null);
  await next();
};
