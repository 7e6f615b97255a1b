/** The Sent Message Log (finished runs with their counts) and, for administrators, the dev outbox. */
import { Hono } from "hono";
import { Outbox } from "../components/Outbox.tsx";
import { SentLog } from "../components/SentLog.tsx";
import type { Run } from "../services/model.ts";
import { listOutbox, type OutboxEntry } from "../services/store/outbox.ts";
import { mayUseCalendar } from "../services/rights.ts";
import { listSent, runFactsOf, SentQuery } from "../services/sent.ts";
import { listCalendars } from "../services/store/district.ts";
import { type Page, PageCursor, StaleCursor } from "../services/store/kv.ts";
import { type AppEnv, currentUser } from "./env.ts";
import { checked } from "./params.ts";
import { fieldErrors, page, problem } from "./render.tsx";

/** The filters as typed, so a refused query comes back filled in. */
function pick(raw: Record<string, unknown>): Partial<SentQuery> {
  const out: Record<string, string> = {};
  for (const k of ["messageId", "from", "to", "calendar", "subject"]) {
    const v = raw[k];
    if (typeof v === "string" && v) out[k] = v.slice(0, 200);
  }
  return out;
}

export const sentRoutes = new Hono<AppEnv>()
  .get("/sent", checked("query", SentQuery), async (c) => {
    const user = currentUser(c);
    const { db } = c.var.deps;
    const tz = c.var.district.timeZone;
    const { raw, parsed } = c.req.valid("query");
    const errors = parsed.success ? {} : fieldErrors(parsed.error.issues);
    const q: SentQuery = parsed.success ? parsed.data : { ...SentQuery.parse({}), ...pick(raw) };
    let result: Page<Run> = { items: [] };
    if (parsed.success) {
      try {
        result = await listSent(db, user, q, tz);
      } catch (e) {
        if (!(e instanceof StaleCursor)) throw e;
        errors.cursor = e.message;
      }
    }
    const scope = q.scope === "all" && user.rights.viewEditAll ? "all" : "mine";
    const calendars = (await listCalendars(db)).filter((cal) => mayUseCalendar(user, cal.id));
    return page(
      c,
      "Sent Message Log",
      <SentLog
        result={result}
        facts={await runFactsOf(db, result.items)}
        query={q}
        scope={scope}
        mayViewAll={user.rights.viewEditAll}
        calendars={calendars}
        errors={errors}
        timeZone={tz}
      />,
      { status: Object.keys(errors).length ? 400 : 200 },
    );
  })
  .get("/outbox", async (c) => {
    if (!currentUser(c).rights.admin) {
      return problem(c, 403, "Outbox", "Only administrators can read the outbox.");
    }
    const parsed = PageCursor.safeParse(c.req.query("cursor"));
    if (!parsed.success) return problem(c, 400, "Outbox", `cursor: ${parsed.error.issues[0].message}`);
    const cursor = parsed.data;
    let entries: Page<OutboxEntry>;
    try {
      entries = await listOutbox(c.var.deps.db, cursor || undefined);
    } catch (e) {
      if (!(e instanceof StaleCursor)) throw e;
      return problem(c, 400, "Outbox", `cursor: ${e.message}`);
    }
    return page(
      c,
      "Outbox",
      <Outbox entries={entries} providerNames={c.var.deps.providerNames} timeZone={c.var.district.timeZone} />,
    );
  });
