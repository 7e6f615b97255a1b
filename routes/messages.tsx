/** Upcoming Messages, View Details of a message or a run, its attachments, Retry and Cancel Message. */
import { Hono } from "hono";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { Upcoming, UpcomingPage, type UpcomingProps } from "../components/UpcomingList.tsx";
import { MessageDetailsView, RunDetailsView } from "../components/Details.tsx";
import { type MessageDetails, messageDetails, runDetails } from "../services/messages.ts";
import type { Run } from "../services/model.ts";
import { mayUseCalendar } from "../services/rights.ts";
import { listCalendars } from "../services/store/district.ts";
import { runCounts, runFacts } from "../services/store/deliveries.ts";
import { countsAreLive, isCancelable, reachedSending } from "../services/dispatch/run_status.ts";
import { ConfirmPage } from "../components/Confirm.tsx";
import { StaleCursor } from "../services/store/kv.ts";
import { attachmentStream } from "../services/store/attachments.ts";
import { effectiveScope, listInProgress, listScheduled, UpcomingQuery } from "../services/upcoming.ts";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { notFound } from "./errors.tsx";
import { checked, Id, idParam } from "./params.ts";
import { fieldErrors, page, problem, publicPage } from "./render.tsx";
import { FamilyMessagePage, FamilyViewNote } from "../components/FamilyInbox.tsx";
import { type FamilyView, familyViewOfMessage, familyViewOfRun } from "../services/family_view.ts";

export const NOT_FOUND = "There is no message here, or it is not one you have access to.";
const attachmentParams = zValidator("param", z.object({ id: Id, attachmentId: Id }), (result) => {
  if (!result.success) throw notFound(NOT_FOUND);
});
const DONE: Record<string, string> = {
  scheduled: "The message is scheduled.",
  queued: "The message is queued to send now.",
  updated: "The message was updated.",
  canceled: "The message was canceled.",
};

export const messageRoutes = new Hono<AppEnv>()
  .get("/messages", checked("query", UpcomingQuery), async (c) => {
    const user = currentUser(c);
    const { db, clock, refreshMs } = c.var.deps;
    const { raw, parsed } = c.req.valid("query");
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
      query: failed ? { ...query, ...keepRaw(raw) } : query,
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
      <UpcomingPage {...props} />,
      {
        status: Object.keys(props.errors ?? {}).length ? 400 : 200,
        fragment: <Upcoming {...props} />,
      },
    );
  })
  .get("/messages/:id", idParam(NOT_FOUND), async (c) => {
    const d = await visibleMessage(c, c.req.valid("param").id);
    return page(c, d.message.value.subject, <MessageDetailsView d={d} district={c.var.district} />);
  })
  .get("/messages/:id/attachments/:attachmentId", attachmentParams, async (c) => {
    const { id, attachmentId } = c.req.valid("param");
    const d = await visibleMessage(c, id);
    const attachment = d.message.value.attachments.find((a) => a.id === attachmentId);
    if (!attachment) throw notFound(NOT_FOUND);
    return c.body(attachmentStream(c.var.deps.db, id, attachment.id), 200, {
      "Content-Type": attachment.contentType,
      "Content-Length": String(attachment.size),
      "Content-Disposition": `attachment; filename="${attachment.name.replaceAll(/[^\w.-]/g, "_")}"`,
    });
  })
  .get("/messages/:id/family-view", idParam(NOT_FOUND), async (c) => {
    const { message, calendar } = await visibleMessage(c, c.req.valid("param").id);
    const { db, clock } = c.var.deps;
    const view = message.value.modes.includes("inbox") && calendar
      ? await familyViewOfMessage(db, c.var.district, message.value, calendar, clock.now())
      : null;
    if (!view) throw notFound("This message does not reach anyone's inbox, so there is nothing to preview.");
    return familyView(c, view, `/messages/${message.value.id}`);
  })
  .get("/runs/:id", idParam(NOT_FOUND), async (c) => {
    const run = await visibleRun(c, c.req.valid("param").id);
    // While a run is live its counts are the delivery counters; once finished, the snapshot.
    const view = countsAreLive(run) ? { ...run, counts: await runCounts(c.var.deps.db, run.id) } : run;
    return page(
      c,
      run.message.subject,
      <RunDetailsView
        run={view}
        facts={await runFacts(c.var.deps.db, run.id)}
        district={c.var.district}
        csrf={c.var.csrf}
        refreshMs={c.var.deps.refreshMs}
      />,
    );
  })
  .get("/runs/:id/family-view", idParam(NOT_FOUND), async (c) => {
    const run = await visibleRun(c, c.req.valid("param").id);
    const view = await familyViewOfRun(c.var.deps.db, c.var.district, run);
    if (!view) throw notFound("No family has this message in their inbox yet.");
    return familyView(c, view, `/runs/${run.id}`);
  })
  .post("/runs/:id/retry", idParam(NOT_FOUND), async (c) => {
    const run = await visibleRun(c, c.req.valid("param").id);
    if (run.status !== "failed") throw notFound(NOT_FOUND);
    const retry = await c.var.deps.dispatcher.retry(run.id);
    if (!retry) return problem(c, 409, "Not retried", "This run was already retried, or its content is gone.");
    return c.redirect(`/runs/${retry.id}`, 303);
  })
  .get("/runs/:id/cancel", idParam(NOT_FOUND), async (c) => {
    const run = await cancelableRun(c, c.req.valid("param").id);
    return page(
      c,
      "Cancel Message",
      <ConfirmPage
        title="Cancel Message"
        action={`/runs/${run.id}/cancel`}
        csrf={c.var.csrf}
        back={`/runs/${run.id}`}
        backLabel="Keep sending"
      >
        <p>{`Stop "${run.message.subject}" now? Nothing more will be sent.`}</p>
        <p>
          {reachedSending(run)
            ? "It is already sending: some recipients may have received it. The Sent Message Log will show exactly who did."
            : "It has not left Messenger yet: nobody has received it."}
        </p>
      </ConfirmPage>,
    );
  })
  .post("/runs/:id/cancel", idParam(NOT_FOUND), async (c) => {
    const run = await cancelableRun(c, c.req.valid("param").id);
    if ((await c.req.parseBody()).confirm !== "yes") {
      return problem(c, 400, "Not canceled", "Nothing was canceled: press Confirm on the cancel page to cancel.");
    }
    const canceled = await c.var.deps.dispatcher.requestCancel(run.id, currentUser(c).name);
    if (!canceled) {
      return problem(c, 409, "Not canceled", "The message finished or changed state before the cancel arrived.");
    }
    return c.redirect(`/runs/${run.id}`, 303);
  });

/** The family portal's page for one message, as staff preview it (the portal's look, the staff download links). */
function familyView(c: Ctx, view: FamilyView, back: string): Response {
  const { entry } = view.item;
  return publicPage(
    c,
    `Preview: ${entry.subject}`,
    <FamilyMessagePage
      item={view.item}
      timeZone={c.var.district.timeZone}
      nav={<FamilyViewNote name={view.name} inLanguage={view.inLanguage} back={back} />}
      attachmentHref={(id) => `/messages/${entry.messageId}/attachments/${id}`}
      preview
    />,
  );
}

/** Filters as typed, so a refused query comes back filled in. */
function keepRaw(raw: Record<string, unknown>): Partial<UpcomingQuery> {
  const out: Record<string, string> = {};
  for (const k of ["createdBy", "subject", "calendar"]) {
    const v = raw[k];
    if (typeof v === "string") out[k] = v.slice(0, 300);
  }
  return out;
}

async function visibleMessage(c: Ctx, id: string): Promise<MessageDetails> {
  const d = await messageDetails(c.var.deps.db, c.var.district, currentUser(c), id, c.var.deps.clock.now());
  if (!d) throw notFound(NOT_FOUND);
  return d;
}

/** A run the user may see; its Recipient Report uses it too. */
export async function visibleRun(c: Ctx, id: string): Promise<Run> {
  const run = await runDetails(c.var.deps.db, currentUser(c), id);
  if (!run) throw notFound(NOT_FOUND);
  return run.value;
}

async function cancelableRun(c: Ctx, id: string): Promise<Run> {
  const run = await visibleRun(c, id);
  if (!isCancelable(run)) throw notFound(NOT_FOUND);
  return run;
}
