/**
 * No page or record in Messenger is named by more than 64 characters (ids,
 * roster sourcedIds, signatures), so a longer path segment names nothing:
 * 404 at once, before it can reach a KV key (KV refuses keys over 2 KiB
 * with an exception, which every route would otherwise have to expect).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../routes/env.ts";

export const MAX_SEGMENT = 128;

export const pathLimits: MiddlewareHandler<AppEnv> = async (c, next) => {
  const segments = c.req.path.split("/");
  if (segments.some((s) => s.length > MAX_SEGMENT * 3 || safeDecode(s).length > MAX_SEGMENT)) {
    return c.text("Not found: there is no page at this address.", 404);
  }
  await next();
};

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
