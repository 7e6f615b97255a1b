/**
 * Staff pages need a signed-in user: a browser is sent to sign in and back,
 * htmx is told to go there itself (a redirect would swap the sign-in page
 * into a fragment).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../routes/env.ts";

/**
 * What anyone may open. Families have no account: their signed preferences
 * link admits them, so /preferences/ is public wherever its routes are mounted,
 * as is a General email's signed /unsubscribe/ link; /family/ has its own
 * guard, the family session (family_session.ts).
 */
export const PUBLIC_PATHS = ["/signin", "/setup", "/static/", "/healthz", "/preferences/", "/unsubscribe/", "/family/"];

export const signedIn: MiddlewareHandler<AppEnv> = async (c, next) => {
  const path = c.req.path;
  if (c.get("user") || path === "/signout" || PUBLIC_PATHS.some((p) => path.startsWith(p))) return await next();
  if (c.req.header("HX-Request") === "true") {
    c.header("HX-Redirect", "/signin");
    return c.body(null, 401);
  }
  if (c.req.method !== "GET") return c.redirect("/signin", 303);
  return c.redirect(`/signin?next=${encodeURIComponent(path + new URL(c.req.url).search)}`, 303);
};
