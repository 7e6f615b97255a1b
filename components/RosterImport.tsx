/**
 * One roster import: its progress while the files are checked or applied,
 * what it will change (or changed), its problem rows, and Apply or Discard.
 */
import { fileSize } from "./file_size.ts";
import type { RosterImport } from "../services/store/roster_imports.ts";
import type { Problem } from "../services/roster/oneroster.ts";
import { formatInstant } from "../services/time.ts";
import { ColumnHeads } from "./Labels.tsx";
import { CsrfField } from "./Layout.tsx";

const KINDS = [["student", "Students"], ["guardian", "Guardians"], ["staff", "Staff"]] as const;
export const STATUS_LABEL: Record<RosterImport["status"], string> = {
  previewing: "Checking the files",
  ready: "Ready to apply",
  applying: "Applying",
  applied: "Applied",
  failed: "Failed",
  discarded: "Discarded",
};

export const when = (timeZone: string, iso: string) => formatInstant(Date.parse(iso), timeZone);
const people = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "person" : "people"}`;

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

export function ImportView(
  { i, problems, error, csrf, timeZone }: {
    i: RosterImport;
    /** The first problem rows; the CSV has them all. */
    problems: Problem[];
    error?: string;
    csrf: string;
    timeZone: string;
  },
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
      <p>
        <a href="/admin/roster">← Roster import</a>
      </p>
      <h1>{`Roster import: ${STATUS_LABEL[i.status]}`}</h1>
      <p>
        {`Uploaded ${when(timeZone, i.created.at)} by ${i.created.name}: `}
        {i.files.map((f) => `${f.name} (${fileSize(f.size)})`).join(", ")}
        {i.ignored.length > 0 && ` · ignored: ${i.ignored.join(", ")}`}
      </p>
      {working && <Progress i={i} />}
      {i.status === "failed" && <p class="error" role="alert">{i.error}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {i.status === "applied" && i.applied && (
        <p class="notice done" role="status">
          {`Applied by ${i.applied.name}, finished ${i.finishedAt ? when(timeZone, i.finishedAt) : ""}: ${
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
                <CsrfField token={csrf} />
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
                <CsrfField token={csrf} />
                <button type="submit" class="secondary">Discard</button>
              </form>
            </div>
          )}
        </>
      )}
    </section>
  );
}
