/** /admin/roster: the upload form and the recent imports. */
import { MAX_UPLOAD_BYTES, UPLOAD_LIMITS } from "../services/roster/csv.ts";
import type { RosterImport } from "../services/store/roster_imports.ts";
import { ColumnHeads } from "./Labels.tsx";
import { CsrfField } from "./Layout.tsx";
import { STATUS_LABEL, when } from "./RosterImport.tsx";
import { fileSize } from "./file_size.ts";

function UploadForm({ csrf, error }: { csrf: string; error?: string }) {
  return (
    <form method="post" action="/admin/roster" enctype="multipart/form-data" class="stack wide">
      <CsrfField token={csrf} />
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
          fileSize(MAX_UPLOAD_BYTES)
        }; unzipped, at most ${fileSize(UPLOAD_LIMITS.fileBytes)} a file and ${
          fileSize(UPLOAD_LIMITS.totalBytes)
        } in all). Nothing changes until you have seen the preview and chosen Apply.`}
      </p>
      {error && <p class="error" role="alert">{`Files: ${error}`}</p>}
      <button type="submit">Upload and preview</button>
    </form>
  );
}

export function RosterHome(
  { imports, error, csrf, timeZone }: { imports: RosterImport[]; error?: string; csrf: string; timeZone: string },
) {
  return (
    <section>
      <h1>Roster import</h1>
      <p>
        Load schools, school years, students, guardians, staff and their email addresses and phones from your student
        information system's OneRoster export. Re-importing the same export changes nothing; people no longer in a full
        export stop receiving messages but stay in the Sent Message Log; preferences families set are never overwritten.
      </p>
      <UploadForm csrf={csrf} error={error} />
      <h2>Recent imports</h2>
      {imports.length === 0 ? <p class="empty">No roster has been imported yet.</p> : (
        <table class="counts text">
          <ColumnHeads labels={["Uploaded", "By", "Files", "Status"]} />
          <tbody>
            {imports.map((i) => (
              <tr key={i.id}>
                <td>
                  <a href={`/admin/roster/${i.id}`}>{when(timeZone, i.created.at)}</a>
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
