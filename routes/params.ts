/**
 * Input checked before a route uses it. Path parameters: a malformed one
 * names nothing, so it gets the route's own 404, never a 500.
 */
import { zValidator } from "@hono/zod-validator";
import { validator } from "hono/validator";
import { z } from "zod";
import { notFound } from "./errors.tsx";

/** Ids Messenger makes (messages, runs, users, roster imports): letters, digits, dot, dash, underscore. */
export const Id = z.string().regex(/^[0-9A-Za-z._-]{1,64}$/);
/** A person's id is the district's roster sourcedId: any text up to 64 characters. */
export const SourcedId = z.string().min(1).max(64);

/** The route's `:id`, or a 404 with `detail` (what the page would have said for an unknown id). */
export function idParam<S extends z.ZodType<string>>(detail: string, id: S = Id as unknown as S) {
  return zValidator("param", z.object({ id }), (result) => {
    if (!result.success) throw notFound(detail);
  });
}

/**
 * A query or a form through Hono's validator, checked by a zod schema but not
 * refused by it: the route gets zod's result and what was sent, so a page
 * shows its form again, filled in as typed, with the reason on each field.
 * (zValidator answers a failure itself, before the page can.) A repeated
 * field arrives as a list, which a schema of single values refuses.
 */
export function checked<S extends z.ZodType>(target: "query" | "form", schema: S) {
  return validator(target, (raw: Record<string, unknown>) => ({ raw, parsed: schema.safeParse(raw) }));
}
