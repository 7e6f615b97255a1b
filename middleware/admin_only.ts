/** Only administrators reach /admin; everyone else gets 403 before any admin page is read. */
import type { MiddlewareHandler } from "hono";
import { type AppEnv, currentUser } from "../routes/env.ts";
import { problem } from "../routes/render.tsx";

export const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!currentUser(c).rights.admin) {
    return problem(c, 403, "Administrators only", "Only district administrators can open this page.");
  }
  await next();
};
