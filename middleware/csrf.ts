/**
 * Double-submit CSRF token: a random HttpOnly cookie that every form repeats
 * as `_csrf` (and htmx as the X-CSRF-Token header). Another site can neither
 * read nor set it, so it cannot forge a form post. Sign-in issues a new one,
 * so a token planted before sign-in is worthless after it.
 */
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { randomToken } from "../services/auth.ts";
import type { AppEnv, Ctx } from "../routes/env.ts";
import { problem } from "../routes/render.tsx";

export const CSRF_COOKIE = "messenger_csrf";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/**
 * A General email's one-click unsubscribe (routes/unsubscribe.tsx): the mail
 * provider posts it without our cookie or form, and its signed path is what
 * makes it safe. Exactly that route's shape, nothing else.
 */
const ONE_CLICK_UNSUBSCRIBE = /^\/unsubscribe\/[^/]+\/[^/]+\/[^/]+$/;

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Sets a fresh token for this response and the pages it renders. */
export function rotateCsrf(c: Ctx): string {
  const token = randomToken();
  setCookie(c, CSRF_COOKIE, token, { httpOnly: true, sameSite: "Lax", secure: c.var.deps.secureCookies, path: "/" });
  c.set("csrf", token);
  return token;
}

export const csrf: MiddlewareHandler<AppEnv> = async (c, next) => {
  const cookie = getCookie(c, CSRF_COOKIE);
  const token = cookie?.length === 43 ? cookie : rotateCsrf(c);
  c.set("csrf", token);
  if (UNSAFE.has(c.req.method) && !(c.req.method === "POST" && ONE_CLICK_UNSUBSCRIBE.test(c.req.path))) {
    const sent = c.req.header("X-CSRF-Token") ?? (await c.req.parseBody())._csrf;
    if (typeof sent !== "string" || !sameToken(sent, token)) {
      return problem(
        c,
        403,
        "Form expired",
        "This form could not be accepted because its security token is missing or out of date. " +
          "Go back, reload the page and try again. Nothing was changed.",
      );
    }
  }
  await next();
};
