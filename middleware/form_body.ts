/**
 * A form body that cannot be read (multipart without its boundary, or with
 * the wrong one) is the sender's mistake: 400 before any route sees it.
 * Hono keeps the parsed form, so routes reading it again cost nothing.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../routes/env.ts";

const FORMS = /^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i;

export const readableForm: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD" && FORMS.test(c.req.header("Content-Type") ?? "")) {
    try {
      await c.req.parseBody();
    } catch {
      return c.text(
        "The form could not be read: its body does not match its Content-Type (a multipart form needs its boundary). " +
          "Nothing was changed.",
        400,
      );
    }
  }
  await next();
};
