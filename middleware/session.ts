/**
 * The signed-in user, from the session cookie; null when there is none or it
 * has ended. Whether a page needs one is signed_in.ts's question.
 */
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { userForSession } from "../services/auth.ts";
import type { AppEnv } from "../routes/env.ts";

export const SESSION_COOKIE = "messenger_session";

export const session: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { db, clock } = c.var.deps;
  c.set("user", await userForSession(db, getCookie(c, SESSION_COOKIE), clock));
  await next();
};
