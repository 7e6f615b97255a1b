/**
 * The family pages' guard: the guardian from the family cookie, or a page
 * that offers sign-in (/family/signin) or the school's link. A staff session admits nobody
 * here (it names a user, not a family), and staff pages read only the staff
 * cookie, so the family cookie opens none of them.
 */
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { FAMILY_IDLE_MS, guardianForSession } from "../services/family_session.ts";
import type { AppEnv, Ctx } from "../routes/env.ts";
import { familySignedOut } from "../routes/render.tsx";

export const FAMILY_COOKIE = "family_session";

/** Sets the family cookie, living as long as the session may stay idle (renewed with it). */
export function setFamilyCookie(c: Ctx, token: string): void {
  setCookie(c, FAMILY_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: c.var.deps.secureCookies || new URL(c.req.url).protocol === "https:",
    path: "/",
    maxAge: FAMILY_IDLE_MS / 1000,
  });
}

export const familySession: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Signing in needs no session, nor does signing out (a stale cookie can always be cleared).
  const path = c.req.path;
  if (path === "/family/signout" || path === "/family/signin" || path.startsWith("/family/signin/")) {
    return await next();
  }
  const { db, clock } = c.var.deps;
  const token = getCookie(c, FAMILY_COOKIE);
  const signedIn = await guardianForSession(db, token, clock);
  if (!signedIn) return familySignedOut(c, 401);
  if (signedIn.renewed) setFamilyCookie(c, token!);
  c.set("family", signedIn.person);
  await next();
};
