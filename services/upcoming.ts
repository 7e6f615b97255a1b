/**
 * The Upcoming Messages lists: Scheduled and In Progress, My or All, with
 * the Created By, Subject and Calendar filters. Each page is read from the
 * narrowest index that fits and filtered as it is read.
 */
import { z } from "zod";
import type { MessageSummary, Run, User } from "./model.ts";
import { maySeeMessage } from "./rights.ts";
import { type Db, listPage, type Page, PageCursor } from "./store/kv.ts";
import { MessageSummary as MessageSummarySchema, Run as RunSchema } from "./model.ts";
import { scheduledIndex } from "./store/messages.ts";
import { isInProgress } from "./dispatch/run_status.ts";
import { activeIndex } from "./store/runs.ts";

export const PAGE_SIZE = 50;

const text = (max: number) => z.string().trim().max(max, `at most ${max} characters`).default("");

export const UpcomingQuery = z.object({
  tab: z.enum(["scheduled", "in-progress"], {
    error: "must be scheduled or in-progress",
  }).default("scheduled"),
  scope: z.enum(["mine", "all"], { error: "must be mine or all" }).default(
    "mine",
  ),
  createdBy: text(100),
  subject: text(200),
  calendar: z.string().trim().max(64, "at most 64 characters").regex(
    /^[0-9A-Za-z_-]*$/,
    "is not a calendar id",
  )
    .default(""),
  cursor: PageCursor,
});
export type UpcomingQuery = z.infer<typeof UpcomingQuery>;

function matches(query: UpcomingQuery, m: MessageSummary): boolean {
  if (query.calendar && m.calendarId !== query.calendar) return false;
  if (
    query.subject &&
    !m.subject.toLowerCase().includes(query.subject.toLowerCase())
  ) return false;
  if (query.createdBy) {
    const needle = query.createdBy.toLowerCase();
    if (!m.created.name.toLowerCase().includes(needle)) return false;
  }
  return true;
}

function prefixFor(
  db: Db,
  index: typeof scheduledIndex,
  user: User,
  query: UpcomingQuery,
  scope: "mine" | "all",
): Deno.KvKey {
  if (scope === "mine") return index.byCreator(db, user.id);
  if (query.calendar) return index.byCalendar(db, query.calendar);
  return index.all(db);
}

/** "all" only for users with View/Edit All; anyone else gets their own. */
export function effectiveScope(
  user: User,
  query: UpcomingQuery,
): "mine" | "all" {
  return query.scope === "all" && user.rights.viewEditAll ? "all" : "mine";
}

/** A page of one of the lists: the narrowest index for the scope and filters, read until the page is full. */
function listPageFor<T>(
  db: Db,
  index: typeof scheduledIndex,
  schema: z.ZodType<T>,
  user: User,
  query: UpcomingQuery,
  opts: { reverse?: boolean; filter: (value: T) => boolean },
): Promise<Page<T>> {
  const prefix = prefixFor(db, index, user, query, effectiveScope(user, query));
  return listPage(db, prefix, schema, { limit: PAGE_SIZE, cursor: query.cursor, ...opts });
}

export function listScheduled(db: Db, user: User, query: UpcomingQuery): Promise<Page<MessageSummary>> {
  return listPageFor(db, scheduledIndex, MessageSummarySchema, user, query, {
    filter: (m) => maySeeMessage(user, m) && matches(query, m),
  });
}

/** Newest first; Failed runs drop off seven days after they failed. */
export function listInProgress(db: Db, user: User, query: UpcomingQuery, now: number): Promise<Page<Run>> {
  return listPageFor(db, activeIndex, RunSchema, user, query, {
    reverse: true,
    filter: (r) => isInProgress(r, now) && maySeeMessage(user, r.message) && matches(query, r.message),
  });
}
