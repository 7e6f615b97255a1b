/**
 * One place turns errors into pages: a route throws `notFound(…)` (or any
 * HTTPException) and gets the problem page with that status and text; an
 * unexpected error is logged and answered with a 500 that gives nothing away.
 */
import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env.ts";
import { problem } from "./render.tsx";

type ProblemStatus = Parameters<typeof problem>[1];

const TITLES: Record<ProblemStatus, string> = {
  400: "Bad request",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  422: "Not accepted",
  429: "Too many requests",
  501: "Not implemented",
};

/** What a route throws for a record that does not exist or is not the user's to see. */
export function notFound(detail: string): HTTPException {
  return new HTTPException(404, { message: detail });
}

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof HTTPException) {
    const status = err.status as ProblemStatus;
    // Before the district is known (or for a status the page does not take) Hono's own plain answer.
    if (!c.get("district") || !(status in TITLES)) return err.getResponse();
    return problem(c, status, TITLES[status], err.message);
  }
  console.error(`${c.req.method} ${c.req.path} failed:`, err);
  return c.text("Something went wrong on our side. Try again; if it keeps happening, tell your administrator.", 500);
};
