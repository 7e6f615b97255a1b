/**
 * The Recipient Report of a run: who it went to, by device and mode, with
 * each delivery's state and the provider's answer; filtered, paged, and
 * exported as CSV. The Sent Message Log links it as /sent/:runId.
 */
import { Hono } from "hono";
import { RecipientReport } from "../components/RecipientReport.tsx";
import { reportCsv, reportPage, ReportQuery, type ReportRow } from "../services/report.ts";
import { type Page, StaleCursor } from "../services/store/kv.ts";
import type { AppEnv } from "./env.ts";
import { NOT_FOUND, visibleRun } from "./messages.tsx";
import { checked, idParam } from "./params.ts";
import { fieldErrors, page, problem } from "./render.tsx";

export const recipientReportRoutes = new Hono<AppEnv>()
  .get("/runs/:id/recipients", idParam(NOT_FOUND), checked("query", ReportQuery), async (c) => {
    const run = await visibleRun(c, c.req.valid("param").id);
    const { parsed } = c.req.valid("query");
    const query = parsed.success ? parsed.data : ReportQuery.parse({});
    const errors = parsed.success ? {} : fieldErrors(parsed.error.issues);
    let report: Page<ReportRow> = { items: [] };
    try {
      if (parsed.success) report = await reportPage(c.var.deps.db, run.id, query);
    } catch (e) {
      if (!(e instanceof StaleCursor)) throw e;
      errors.cursor = e.message;
    }
    return page(
      c,
      "Recipient Report",
      <RecipientReport run={run} page={report} query={query} timeZone={c.var.district.timeZone} errors={errors} />,
      { status: Object.keys(errors).length ? 400 : 200 },
    );
  })
  .get("/runs/:id/recipients.csv", idParam(NOT_FOUND), checked("query", ReportQuery), async (c) => {
    const run = await visibleRun(c, c.req.valid("param").id);
    const { parsed } = c.req.valid("query");
    if (!parsed.success) {
      const errors = Object.entries(fieldErrors(parsed.error.issues)).map(([k, v]) => `${k}: ${v}`).join("; ");
      return problem(c, 400, "Export CSV", `Nothing was exported. ${errors}`);
    }
    return c.body(reportCsv(c.var.deps.db, run.id, parsed.data), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="recipients-${run.id}.csv"`,
    });
  })
  // The Sent Message Log's address for a run's Recipient Report.
  .get("/sent/:runId", (c) => {
    const search = new URL(c.req.url).search;
    return c.redirect(`/runs/${encodeURIComponent(c.req.param("runId"))}/recipients${search}`, 302);
  });
