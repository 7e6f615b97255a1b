/**
 * Pages and downloads are about people and are for the signed-in user only:
 * no shared or browser cache may keep them. Static files are served before
 * this and stay cacheable.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../routes/env.ts";

export const noStore: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
};
