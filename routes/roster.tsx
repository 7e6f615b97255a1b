/**
 * /admin/roster: upload a OneRoster export, review what it would change and
 * every problem row, then apply it (or its good rows) or discard it. The
 * preview and the apply run as durable jobs; the page shows their progress
 * (htmx polls it once a second; without JS the page reloads itself).
 */
import { Hono } from "hono";
import { ColumnHeads } from "../components/Labels.tsx";
import { CsrfField } from "../components/Layout.tsx";
import { csvCell } from "../services/report.ts";
import { MAX_UPLOAD_BYTES, UPLOAD_LIMITS, UploadError } from "../services/roster/csv.ts";
import { discardImport } from "../services/roster/import.ts";
import { createImport } from "../services/roster/upload.ts";
import { getImport, listImports, problemsOf, type RosterImport } from "../services/store/roster_imports.ts";
import type { Problem } from "../services/roster/oneroster.ts";
import { formatInstant } from "../services/time.ts";
import { adminOnly } from "./admin.tsx";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { page, problem } from "./render.tsx";

/** Problem rows shown on the page; all of them are in the CSV. */
const SHOWN_PROBLEMS = 100;
const KINDS = [["student", "Students"], ["guardian", "Guardians"], ["staff", "Staff"]] as const;
const STATUS_LABEL: Record<RosterImport["status"], string> = {
  previewing: "Checking the files",
  ready: "Ready to apply",
  applying: "Applying",
  applied: "Applied",
  failed: "Failed",
  discarded: "Discarded",
};

const when = (c: Ctx, iso: string) => formatInstant(Date.parse(iso), c.var.district.timeZone);
const people = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "person" : "people"}`;
const size = (n: number) => n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;

function UploadForm({ c, error }: { c: Ctx; error?: string }) {
  return (
    <form method="post" action="/admin/roster" enctype="multipart/form-data" class="stack wide">
      <CsrfField token={c.var.csrf} />
      <label>
        OneRoster 1.1 export: one zip, or the CSV files
        <input
          type="file"
          name="files"
          multiple
          accept=".zip,.csv,application/zip,text/csv"
          aria-invalid={error ? "true" : undefined}
          aria-describedby="files-help"
        />
      </label>
      <p id="files-help" class="hint">
        {`Messenger reads manifest.csv, orgs.csv, academicSessions.csv, users.csv, and where present courses.csv, classes.csv and enrollments.csv (up to ${
          size(MAX_UPLOAD_BYTES)
        }; unzipped, at most ${size(UPLOAD_LIMITS.fileBytes)} a file and ${
          size(UPLOAD_LIMITS.totalBytes)
        } in all). Nothing changes until you have seen the preview and chosen Apply.`}
      </p>
      {error && <p class="error" role="alert">{`Files: ${error}`}</p>}
      <button type="submit">Upload and preview</button>
    </form>
  );
}

function RosterHome({ c, imports, error }: { c: Ctx; imports: RosterImport[]; error?: string }) {
  return (
    <section>
      <h1>Roster import</h1>
      <p>
        Load schools, school years, students, guardians, staff and their email addresses and phones from your student
        information system's OneRoster export. Re-importing the same export changes nothing; people no longer in a full
        export stop receiving messages but stay in the Sent Message Log; preferences families set are never overwritten.
      </p>
      <UploadForm c={c} error={error} />
      <h2>Recent imports</h2>
      {imports.length === 0 ? <p class="empty">No roster has been imported yet.</p> : (
        <table class="counts text">
          <ColumnHeads labels={["Uploaded", "By", "Files", "Status"]} />
          <tbody>
            {imports.map((i) => (
              <tr key={i.id}>
                <td>
                  <a href={`/admin/roster/${i.id}`}>{when(c, i.created.at)}</a>
                </td>
                <td>{i.created.name}</td>
                <td>{i.files.map((f) => f.name).join(", ")}</td>
                <td>{STATUS_LABEL[i.status]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Counts({ s }: { s: NonNullable<RosterImport["summary"]> }) {
  return (
    <table class="counts">
      <ColumnHeads labels={["", "Add", "Update", "Remove"]} />
      <tbody>
        {KINDS.map(([k, label]) => (
          <tr key={k}>
            <th scope="row">{label}</th>
            <td>{s.add[k]}</td>
            <td>{s.update[k]}</td>
            <td>{s.remove[k]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Samples({ s }: { s: NonNullable<RosterImport["summary"]> }) {
  const total = (key: "add" | "update" | "remove") => s[key].student + s[key].guardian + s[key].staff;
  const groups = [["add", "Added"], ["update", "Updated"], ["remove", "Removed"]] as const;
  return (
    <div class="samples">
      {groups.map(([key, label]) =>
        s.samples[key].length === 0 ? null : (
          <details key={key}>
            <summary>
              {total(key) > s.samples[key].length
                ? `${label}: the first ${s.samples[key].length} of ${total(key).toLocaleString("en-US")}`
                : `${label} (${total(key)})`}
            </summary>
            <ul>
              {s.samples[key].map((p) => (
                <li key={p.id}>
                  {`${p.name} (${p.kind}, ${p.id})`}
                  {p.detail ? ` · ${p.detail}` : ""}
                </li>
              ))}
            </ul>
          </details>
        )
      )}
    </div>
  );
}

function ProblemTable({ problems, total, id }: { problems: Problem[]; total: number; id: string }) {
  return (
    <>
      <h2 id="problems">{`Problem rows: ${total}`}</h2>
      <p>
        {"People whose row has a problem are left exactly as they are. "}
        <a href={`/admin/roster/${id}/problems.csv`} download>Download all problem rows (CSV)</a>
      </p>
      <table class="counts text">
        <ColumnHeads labels={["File", "Line", "sourcedId", "Reason"]} />
        <tbody>
          {problems.map((p, i) => (
            <tr key={i}>
              <td>{p.file}</td>
              <td>{p.line === 0 ? "(file)" : p.line}</td>
              <td>{p.sourcedId ?? ""}</td>
              <td>{p.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > problems.length && (
        <p class="hint">{`The first ${problems.length} are shown; the CSV has all ${total}.`}</p>
      )}
    </>
  );
}

function Progress({ i }: { i: RosterImport }) {
  const { done, total } = i.progress;
  return i.status === "previewing"
    ? (
      <p>
        <progress aria-label="Checking the files" />
        {" Reading and checking the files…"}
      </p>
    )
    : (
      <p>
        <progress value={done} max={Math.max(total, 1)} aria-label="Applying" />
        {` ${done.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} people written`}
      </p>
    );
}

function ImportView(
  { c, i, problems, error }: { c: Ctx; i: RosterImport; problems: Problem[]; error?: string },
) {
  const s = i.summary;
  const working = i.status === "previewing" || i.status === "applying";
  const removing = s ? s.remove.student + s.remove.guardian + s.remove.staff : 0;
  // Schools and calendars are written by Apply too: a new school year or a renamed school is a change.
  const orgChanges = s
    ? s.schools.add.length + s.schools.update.length + s.calendars.add.length + s.calendars.update.length
    : 0;
  const changes = s ? removing + orgChanges + KINDS.reduce((n, [k]) => n + s.add[k] + s.update[k], 0) : 0;
  return (
    <section
      id="roster-import"
      aria-live="polite"
      {...(working ? { "hx-get": `/admin/roster/${i.id}`, "hx-trigger": "load delay:1s", "hx-swap": "outerHTML" } : {})}
    >
      {working && (
        <noscript>
          <meta http-equiv="refresh" content="2" />
        </noscript>
      )}
      <p>
        <a href="/admin/roster">← Roster import</a>
      </p>
      <h1>{`Roster import: ${STATUS_LABEL[i.status]}`}</h1>
      <p>
        {`Uploaded ${when(c, i.created.at)} by ${i.created.name}: `}
        {i.files.map((f) => `${f.name} (${size(f.size)})`).join(", ")}
        {i.ignored.length > 0 && ` · ignored: ${i.ignored.join(", ")}`}
      </p>
      {working && <Progress i={i} />}
      {i.status === "failed" && <p class="error" role="alert">{i.error}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {i.status === "applied" && i.applied && (
        <p class="notice done" role="status">
          {`Applied by ${i.applied.name}, finished ${i.finishedAt ? when(c, i.finishedAt) : ""}: ${
            people(i.progress.total)
          } written.`}
        </p>
      )}
      {s && (
        <>
          <h2>{i.status === "applied" ? "What changed" : "What will change"}</h2>
          <Counts s={s} />
          <p>
            {`${people(s.unchanged)} unchanged`}
            {s.skipped > 0 && ` · ${s.skipped} left as they are because of problem rows`}
            {` · files: ${Object.entries(s.modes).map(([f, m]) => `${f} ${m}`).join(", ")}`}
            {` · ${s.classes} classes, ${s.enrollments} enrollments checked`}
          </p>
          {(s.schools.add.length > 0 || s.schools.update.length > 0) && (
            <p>
              {s.schools.add.length > 0 && `New schools: ${s.schools.add.join(", ")}. `}
              {s.schools.update.length > 0 && `Renamed schools: ${s.schools.update.join(", ")}.`}
            </p>
          )}
          {(s.calendars.add.length > 0 || s.calendars.update.length > 0) && (
            <p>
              {s.calendars.add.length > 0 && `New calendars: ${s.calendars.add.join(", ")}. `}
              {s.calendars.update.length > 0 && `Updated calendars (name or dates): ${s.calendars.update.join(", ")}.`}
            </p>
          )}
          {i.status === "ready" && removing > 0 && removing * 10 > s.existing && (
            <p class="notice" role="alert">
              {`This removes ${removing} of the ${s.existing} people now in Messenger. Check that users.csv is the district's full export before applying.`}
            </p>
          )}
          <Samples s={s} />
          {s.problems > 0 && <ProblemTable problems={problems} total={s.problems} id={i.id} />}
          {i.status === "ready" && (
            <div class="bar actions">
              <form method="post" action={`/admin/roster/${i.id}/apply`} class="stack">
                <CsrfField token={c.var.csrf} />
                {s.problems > 0 && (
                  <label class="check">
                    <input type="checkbox" name="skipProblems" value="on" required />
                    {`Apply the good rows; leave the ${people(s.skipped)} with problem rows as they are`}
                  </label>
                )}
                <button type="submit" disabled={changes === 0}>
                  {changes === 0
                    ? "Nothing to change"
                    : `Apply: ${changes.toLocaleString("en-US")} change${changes === 1 ? "" : "s"}`}
                </button>
              </form>
              <form method="post" action={`/admin/roster/${i.id}/discard`}>
                <CsrfField token={c.var.csrf} />
                <button type="submit" class="secondary">Discard</button>
              </form>
            </div>
          )}
        </>
      )}
    </section>
  );
}

async function firstProblems(c: Ctx, id: string): Promise<Problem[]> {
  const out: Problem[] = [];
  for await (const p of problemsOf(c.var.deps.db, id)) {
    out.push(p);
    if (out.length === SHOWN_PROBLEMS) break;
  }
  return out;
}

async function importPage(c: Ctx, i: RosterImport, error?: string, status = 200) {
  const view = <ImportView c={c} i={i} problems={await firstProblems(c, i.id)} error={error} />;
  return page(c, "Roster import", view, { status, fragment: view });
}

async function homePage(c: Ctx, error?: string, status = 200) {
  return page(c, "Roster import", <RosterHome c={c} imports={await listImports(c.var.deps.db)} error={error} />, {
    status,
  });
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
  .get("/admin/roster/:id", async (c) => {
    const i = await getImport(c.var.deps.db, c.req.param("id"));
    if (!i) return problem(c, 404, "Not found", "There is no such roster import.");
    return importPage(c, i.value);
  })
  .get("/admin/roster/:id/problems.csv", async (c) => {
    const id = c.req.param("id");
    if (!(await getImport(c.var.deps.db, id))) return problem(c, 404, "Not found", "There is no such roster import.");
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
  .post("/admin/roster/:id/apply", async (c) => {
    const db = c.var.deps.db;
    const id = c.req.param("id");
    const body = await c.req.parseBody();
    const user = currentUser(c);
    const by = { userId: user.id, name: user.name, at: new Date(c.var.deps.clock.now()).toISOString() };
    const result = await c.var.deps.dispatcher.applyRoster(id, by, body.skipProblems === "on");
    const current = await getImport(db, id);
    if (!current) return problem(c, 404, "Not found", "There is no such roster import.");
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
  .post("/admin/roster/:id/discard", async (c) => {
    const id = c.req.param("id");
    const current = await getImport(c.var.deps.db, id);
    if (!current) return problem(c, 404, "Not found", "There is no such roster import.");
    if (!(await discardImport(c.var.deps.db, id))) {
      return importPage(c, current.value, "Only an import that has not been applied can be discarded.", 409);
    }
    return c.redirect("/admin/roster", 303);
  });
