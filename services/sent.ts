/** The Sent list: finished runs, newest first, with the filters support uses to find one. */
import { z } from "zod";
import { MessageType, Run, type User } from "./model.ts";
import { isFinished } from "./dispatch/run_status.ts";
import { maySeeMessage } from "./rights.ts";
import { type Db, listPage, type Page, PageCursor } from "./store/kv.ts";
import { type RunFacts, runFacts } from "./store/deliveries.ts";
import { doneIndex, getRun } from "./store/runs.ts";
import { addDays, fromWall, isCalendarDate } from "./time.ts";

const date = z.string().refine((d) => d === "" || isCalendarDate(d), "enter a date between 1900 and 2199 as YYYY-MM-DD")
  .default("");

export const SentQuery = z.object({
  scope: z.enum(["mine", "all"], { error: "must be mine or all" }).default("mine"),
  messageId: z.string().trim().toUpperCase().regex(/^[0-9A-Z]{0,12}$/, "is not a Message ID").default(""),
  from: date,
  to: date,
  calendar: z.string().trim().max(64).regex(/^[0-9A-Za-z_-]*$/, "is not a calendar id").default(""),
  subject: z.string().trim().max(200, "at most 200 characters").default(""),
  type: z.union([z.literal(""), MessageType], { error: "must be General, Priority or Emergency" }).default(""),
  cursor: PageCursor,
}).refine((q) => !q.from || !q.to || q.from <= q.to, { path: ["to"], message: "is before the From date" });
export type SentQuery = z.infer<typeof SentQuery>;

/** Each listed run's inbox reads and email opens and bounces, for those that went by inbox or email, read side by side. */
export async function runFactsOf(db: Db, runs: Run[]): Promise<Record<string, RunFacts>> {
  const some = runs.filter((r) => r.message.modes.includes("inbox") || r.message.modes.includes("email"));
  const facts = await Promise.all(some.map((r) => runFacts(db, r.id)));
  return Object.fromEntries(some.map((r, i) => [r.id, facts[i]]));
}

export async function listSent(db: Db, user: User, q: SentQuery, timeZone: string): Promise<Page<Run>> {
  const scope = q.scope === "all" && user.rights.viewEditAll ? "all" : "mine";
  if (q.messageId) {
    const run = await getRun(db, q.messageId);
    const finished = run && isFinished(run.value);
    const visible = finished && maySeeMessage(user, run.value.message) &&
      (scope === "all" || run.value.message.created.userId === user.id);
    return { items: visible ? [run.value] : [] };
  }
  const needle = q.subject.toLowerCase();
  const from = q.from ? fromWall(q.from, "00:00", timeZone) : 0;
  const to = q.to ? fromWall(addDays(q.to, 1), "00:00", timeZone) : Number.MAX_SAFE_INTEGER;
  return listPage(db, scope === "all" ? doneIndex.all(db) : doneIndex.byCreator(db, user.id), Run, {
    limit: 50,
    cursor: q.cursor,
    reverse: true,
    range: [from, to],
    filter: (r) =>
      maySeeMessage(user, r.message) &&
      (!q.calendar || r.message.calendarId === q.calendar) &&
      (!q.type || r.message.type === q.type) &&
      (!needle || r.message.subject.toLowerCase().includes(needle)),
  });
}
