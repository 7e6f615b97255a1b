/**
 * The family pages' guard: the guardian from the family cookie, or a page
 * that says to open the school's link again. A staff session admits nobody
 * here (it names a user, not a family), and staff pages read only the staff
 * cookie, so the family cookie opens none of them. Signing out needs no
 * session, so a stale cookie can always be cleared.
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
  if (c.req.path === "/family/signout") return await next();
  const { db, clock } = c.var.deps;
  const token = getCookie(c, FAMILY_COOKIE);
  const signedIn = await guardianForSession(db, token, clock);
  if (!signedIn) return familySignedOut(c, 401);
  if (signedIn.renewed) setFamilyCookie(c, token!);
  c.set("family", signedIn.person);
  await next();
};
