import { Hono } from "hono";
import { Upcoming, type UpcomingProps } from "../components/UpcomingList.tsx";
import { MessageDetailsView, RunDetailsView } from "../components/Details.tsx";
import { messageDetails, runDetails } from "../services/messages.ts";
import { mayUseCalendar } from "../services/rights.ts";
import { listCalendars } from "../services/store/district.ts";
import { runCounts } from "../services/store/deliveries.ts";
import { countsAreLive, isCancelable, reachedSending } from "../services/dispatch/run_status.ts";
import { ConfirmPage } from "../components/Confirm.tsx";
import { RecipientReport } from "../components/Report.tsx";
import { reportCsv, reportPage, ReportQuery, type ReportRow } from "../services/report.ts";
import { type Page, StaleCursor } from "../services/store/kv.ts";
import { attachmentStream } from "../services/store/attachments.ts";
import { effectiveScope, listInProgress, listScheduled, UpcomingQuery } from "../services/upcoming.ts";
import { type AppEnv, currentUser } from "./env.ts";
import { fieldErrors, page, problem } from "./render.tsx";

const ID = /^[0-9A-Za-z_-]{1,64}$/;
const DONE: Record<string, string> = {
  scheduled: "The message is scheduled.",
  queued: "The message is queued to send now.",
  updated: "The message was updated.",
  canceled: "The message was canceled.",
};

export const messageRoutes = new Hono<AppEnv>()
  .get("/messages", async (c) => {
    const user = currentUser(c);
    const { db, clock, refreshMs } = c.var.deps;
    const parsed = UpcomingQuery.safeParse(c.req.query());
    const calendars = (await listCalendars(db)).filter((cal) => mayUseCalendar(user, cal.id));
    const errors = parsed.success ? {} : fieldErrors(parsed.error.issues);
    const query = parsed.success ? parsed.data : UpcomingQuery.parse({});
    if (
      parsed.success && query.calendar &&
      !calendars.some((cal) => cal.id === query.calendar)
    ) {
      errors.calendar = "is not a calendar you have rights to";
    }
    const failed = Object.keys(errors).length > 0;
    const now = clock.now();
    const props: UpcomingProps = {
      user,
      district: c.var.district,
      query: failed ? { ...query, ...keepRaw(c.req.query()) } : query,
      scope: effectiveScope(user, query),
      calendars,
      now,
      errors,
      refreshMs,
      csrf: c.var.csrf,
      done: DONE[c.req.query("done") ?? ""],
    };
    try {
      if (failed) props.scheduled = { items: [] };
      else if (query.tab === "scheduled") props.scheduled = await listScheduled(db, user, query);
      else {
        const runs = await listInProgress(db, user, query, now);
        // Live runs show their delivery counters, read side by side.
        const items = await Promise.all(
          runs.items.map(async (r) => countsAreLive(r) ? { ...r, counts: await runCounts(db, r.id) } : r),
        );
        props.inProgress = { ...runs, items };
      }
    } catch (e) {
      if (!(e instanceof StaleCursor)) throw e;
      props.errors = { cursor: e.message };
      props.scheduled = { items: [] };
    }
    return page(
      c,
      "Upcoming Messages",
      <Upcoming {...props} />,
      {
        status: Object.keys(props.errors ?? {}).length ? 400 : 200,
        fragment: <Upcoming {...props} />,
      },
    );
  })
  .get("/messages/:id", async (c) => {
    const id = c.req.param("id");
    const { db, clock } = c.var.deps;
    const d = ID.test(id)
      ? await messageDetails(
        db,
        c.var.district,
        currentUser(c),
        id,
        clock.now(),
      )
      : null;
    if (!d) return notFound(c);
    return page(
      c,
      d.message.value.subject,
      <MessageDetailsView d={d} district={c.var.district} />,
    );
  })
  .get("/messages/:id/attachments/:attachmentId", async (c) => {
    const { id, attachmentId } = c.req.param();
    const { db, clock } = c.var.deps;
    const d = ID.test(id)
      ? await messageDetails(
        db,
        c.var.district,
        currentUser(c),
        id,
        clock.now(),
      )
      : null;
    const attachment = d?.message.value.attachments.find((a) => a.id === attachmentId);
    if (!d || !attachment) return notFound(c);
    return c.body(attachmentStream(db, id, attachment.id), 200, {
      "Content-Type": attachment.contentType,
      "Content-Length": String(attachment.size),
      "Content-Disposition": `attachment; filename="${attachment.name.replaceAll(/[^\w.-]/g, "_")}"`,
    });
  })
  .get("/runs/:id", async (c) => {
    const id = c.req.param("id");
    const { db } = c.var.deps;
    const run = ID.test(id) ? await runDetails(db, currentUser(c), id) : null;
    if (!run) return notFound(c);
    // While a run is live its counts are the delivery counters; once finished, the snapshot.
    const view = countsAreLive(run.value) ? { ...run.value, counts: await runCounts(db, run.value.id) } : run.value;
    return page(
      c,
      run.value.message.subject,
      <RunDetailsView run={view} district={c.var.district} csrf={c.var.csrf} />,
    );
  })
  .get("/runs/:id/recipients", async (c) => {
    const id = c.req.param("id");
    const { db } = c.var.deps;
    const run = ID.test(id) ? await runDetails(db, currentUser(c), id) : null;
    if (!run) return notFound(c);
    const parsed = ReportQuery.safeParse(c.req.query());
    const query = parsed.success ? parsed.data : ReportQuery.parse({});
    const errors = parsed.success ? {} : fieldErrors(parsed.error.issues);
    let report: Page<ReportRow> = { items: [] };
    try {
      if (parsed.success) report = await reportPage(db, id, query);
    } catch (e) {
      if (!(e instanceof StaleCursor)) throw e;
      errors.cursor = e.message;
    }
    return page(
      c,
      "Recipient Report",
      <RecipientReport
        run={run.value}
        page={report}
        query={query}
        timeZone={c.var.district.timeZone}
        errors={errors}
      />,
      { status: Object.keys(errors).length ? 400 : 200 },
    );
  })
  .get("/runs/:id/recipients.csv", async (c) => {
    const id = c.req.param("id");
    const { db } = c.var.deps;
    const run = ID.test(id) ? await runDetails(db, currentUser(c), id) : null;
    if (!run) return notFound(c);
    const parsed = ReportQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const errors = Object.entries(fieldErrors(parsed.error.issues)).map(([k, v]) => `${k}: ${v}`).join("; ");
      return problem(c, 400, "Export CSV", `Nothing was exported. ${errors}`);
    }
    return c.body(reportCsv(db, id, parsed.data), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="recipients-${id}.csv"`,
    });
  })
  .post("/runs/:id/retry", async (c) => {
    const id = c.req.param("id");
    const run = ID.test(id) ? await runDetails(c.var.deps.db, currentUser(c), id) : null;
    if (!run || run.value.status !== "failed") return notFound(c);
    const retry = await c.var.deps.dispatcher.retry(id);
    if (!retry) return problem(c, 409, "Not retried", "This run was already retried, or its content is gone.");
    return c.redirect(`/runs/${retry.id}`, 303);
  })
  .get("/runs/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const run = ID.test(id) ? await runDetails(c.var.deps.db, currentUser(c), id) : null;
    if (!run || !isCancelable(run.value)) return notFound(c);
    return page(
      c,
      "Cancel Message",
      <ConfirmPage
        title="Cancel Message"
        action={`/runs/${id}/cancel`}
        csrf={c.var.csrf}
        back={`/runs/${id}`}
        backLabel="Keep sending"
      >
        <p>{`Stop "${run.value.message.subject}" now? Nothing more will be sent.`}</p>
        <p>
          {reachedSending(run.value)
            ? "It is already sending: some recipients may have received it. The Sent list will show exactly who did."
            : "It has not left Messenger yet: nobody has received it."}
        </p>
      </ConfirmPage>,
    );
  })
  .post("/runs/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const user = currentUser(c);
    const run = ID.test(id) ? await runDetails(c.var.deps.db, user, id) : null;
    if (!run || !isCancelable(run.value)) return notFound(c);
    if ((await c.req.parseBody()).confirm !== "yes") {
      return problem(c, 400, "Not canceled", "Nothing was canceled: press Confirm on the cancel page to cancel.");
    }
    const canceled = await c.var.deps.dispatcher.requestCancel(id, user.name);
    if (!canceled) {
      return problem(c, 409, "Not canceled", "The message finished or changed state before the cancel arrived.");
    }
    return c.redirect(`/runs/${id}`, 303);
  });

/** Filters as typed, so a refused query comes back filled in. */
function keepRaw(raw: Record<string, string>): Partial<UpcomingQuery> {
  const out: Record<string, string> = {};
  for (const k of ["createdBy", "subject", "calendar"]) {
    if (typeof raw[k] === "string") out[k] = raw[k].slice(0, 300);
  }
  return out;
}

function notFound(c: Parameters<typeof problem>[0]) {
  return problem(
    c,
    404,
    "Not found",
    "There is no message here, or it is not one you have access to.",
  );
}
