/**
 * /admin/roster: upload a OneRoster export, review what it would change and
 * every problem row, then apply it (or its good rows) or discard it. The
 * preview and the apply run as durable jobs; the page shows their progress
 * (htmx polls it once a second; without JS the page reloads itself).
 */
import { ReloadWithoutScript } from "../components/Refresh.tsx";
import { Hono } from "hono";
import { RosterHome } from "../components/RosterHome.tsx";
import { ImportView, STATUS_LABEL } from "../components/RosterImport.tsx";
import { adminOnly } from "../middleware/admin_only.ts";
import { csvCell } from "../services/report.ts";
import { UploadError } from "../services/roster/csv.ts";
import { discardImport } from "../services/roster/import.ts";
import { createImport } from "../services/roster/upload.ts";
import { getImport, listImports, problemsOf, type RosterImport } from "../services/store/roster_imports.ts";
import type { Problem } from "../services/roster/oneroster.ts";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { notFound } from "./errors.tsx";
import { idParam } from "./params.ts";
import { page } from "./render.tsx";

/** Problem rows shown on the page; all of them are in the CSV. */
const SHOWN_PROBLEMS = 100;

async function firstProblems(c: Ctx, id: string): Promise<Problem[]> {
  const out: Problem[] = [];
  for await (const p of problemsOf(c.var.deps.db, id)) {
    out.push(p);
    if (out.length === SHOWN_PROBLEMS) break;
  }
  return out;
}

async function importPage(c: Ctx, i: RosterImport, error?: string, status = 200) {
  const problems = await firstProblems(c, i.id);
  const view = (
    <ImportView i={i} problems={problems} error={error} csrf={c.var.csrf} timeZone={c.var.district.timeZone} />
  );
  // htmx polls while it works; without JavaScript the whole page reloads instead.
  const working = i.status === "previewing" || i.status === "applying";
  return page(c, "Roster import", <>{working && <ReloadWithoutScript intervalMs={2_000} />}{view}</>, {
    status,
    fragment: view,
  });
}

async function homePage(c: Ctx, error?: string, status = 200) {
  const imports = await listImports(c.var.deps.db);
  const view = <RosterHome imports={imports} error={error} csrf={c.var.csrf} timeZone={c.var.district.timeZone} />;
  return page(c, "Roster import", view, { status });
}

const NO_IMPORT = "There is no such roster import.";
const importParam = idParam(NO_IMPORT);

async function importOr404(c: Ctx, id: string) {
  const i = await getImport(c.var.deps.db, id);
  if (!i) throw notFound(NO_IMPORT);
  return i;
}

export const rosterRoutes = new Hono<AppEnv>()
  .use("/admin/roster", adminOnly)
  .use("/admin/roster/*", adminOnly)
  .get("/admin/roster", (c) => homePage(c))
  .post("/admin/roster", async (c) => {
    const body = await c.req.parseBody({ all: true });
    const files = [body.files ?? []].flat().filter((f): f is File => f instanceof File && f.name !== "");
    if (files.length === 0) return homePage(c, "choose the OneRoster zip or its CSV files", 400);
    const uploads = await Promise.all(
      files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    const user = currentUser(c);
    const by = { userId: user.id, name: user.name, at: new Date(c.var.deps.clock.now()).toISOString() };
    let created: RosterImport;
    try {
      created = await createImport(c.var.deps.db, uploads, by);
    } catch (e) {
      if (e instanceof UploadError) return homePage(c, e.message, 400);
      throw e;
    }
    await c.var.deps.dispatcher.previewRoster(created.id);
    return c.redirect(`/admin/roster/${created.id}`, 303);
  })
  .get("/admin/roster/:id", importParam, async (c) => {
    const i = await importOr404(c, c.req.valid("param").id);
    return importPage(c, i.value);
  })
  .get("/admin/roster/:id/problems.csv", importParam, async (c) => {
    const { id } = (await importOr404(c, c.req.valid("param").id)).value;
    const db = c.var.deps.db;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode("file,line,sourcedId,reason\r\n"));
        let lines: string[] = [];
        for await (const p of problemsOf(db, id)) {
          lines.push([p.file, p.line, p.sourcedId ?? "", p.reason].map(csvCell).join(",") + "\r\n");
          if (lines.length === 200) {
            controller.enqueue(encoder.encode(lines.join("")));
            lines = [];
          }
        }
        controller.enqueue(encoder.encode(lines.join("")));
        controller.close();
      },
    });
    return new Response(stream, {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="roster-problems-${id}.csv"`,
      },
    });
  })
  .post("/admin/roster/:id/apply", importParam, async (c) => {
    const { id } = c.req.valid("param");
    const body = await c.req.parseBody();
    const user = currentUser(c);
    const by = { userId: user.id, name: user.name, at: new Date(c.var.deps.clock.now()).toISOString() };
    const result = await c.var.deps.dispatcher.applyRoster(id, by, body.skipProblems === "on");
    const current = await importOr404(c, id);
    switch (result) {
      case "started":
        return c.redirect(`/admin/roster/${id}`, 303);
      case "needs-confirm":
        return importPage(
          c,
          current.value,
          "Skip problem rows: this import has problem rows; tick the box to apply only the good rows, or fix the files and upload them again.",
          400,
        );
      case "busy":
        return importPage(c, current.value, "Another roster import is being applied; wait until it has finished.", 409);
      case "stale":
        return importPage(
          c,
          current.value,
          "Another roster import was applied after this preview was made. Upload the files again to see what they would change now.",
          409,
        );
      default:
        return importPage(
          c,
          current.value,
          `This import is ${STATUS_LABEL[current.value.status].toLowerCase()}, not ready to apply.`,
          409,
        );
    }
  })
  .post("/admin/roster/:id/discard", importParam, async (c) => {
    const { id } = c.req.valid("param");
    const current = await importOr404(c, id);
    if (!(await discardImport(c.var.deps.db, id))) {
      return importPage(c, current.value, "Only an import that has not been applied can be discarded.", 409);
    }
    return c.redirect("/admin/roster", 303);
  });
