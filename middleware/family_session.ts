/**
 * The family pages' guard: the guardian from the family cookie, or a page
 * that says to open the school's link again. A staff session admits nobody
 * here (it names a user, not a family), and staff pages read only the staff
 * cookie, so the family cookie opens none of them. Signing out needs no
 * session, so a stale cookie can always be cleared.
 */
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { guardianForSession } from "../services/family_session.ts";
import type { AppEnv } from "../routes/env.ts";
import { familySignedOut } from "../routes/render.tsx";

export const FAMILY_COOKIE = "family_session";

export const familySession: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.path === "/family/signout") return await next();
  const { db, clock } = c.var.deps;
  const person = await guardianForSession(db, getCookie(c, FAMILY_COOKIE), clock);
  if (!person) return familySignedOut(c, 401);
  c.set("family", person);
  await next();
};
