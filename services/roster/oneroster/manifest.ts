/** manifest.csv: whether each file is bulk, delta or absent. Without a manifest, every file given is bulk. */
import type { RosterFileName } from "../csv.ts";
import type { FileMode } from "../oneroster.ts";
import { addProblem, eachRow, type Reading, shown } from "./rows.ts";

export async function readManifest(reading: Reading): Promise<void> {
  const { roster, files } = reading;
  const declared = new Map<string, string>();
  await eachRow(reading, "manifest.csv", (row) => declared.set(row.get("propertyName"), row.get("value")));
  for (const key of ["orgs", "academicSessions", "users"] as const) {
    const name = `${key}.csv` as RosterFileName;
    const stated = declared.get(`file.${key}`);
    let mode: FileMode = files.files.has(name) ? "bulk" : "absent";
    if (stated === "bulk" || stated === "delta" || stated === "absent") {
      mode = stated;
      if (stated !== "absent" && !files.files.has(name)) {
        addProblem(roster, {
          file: "manifest.csv",
          line: 0,
          reason: `lists ${name} as ${stated} but it is not in the upload`,
        });
        mode = "absent";
      }
    } else if (stated !== undefined) {
      addProblem(roster, {
        file: "manifest.csv",
        line: 0,
        reason: `file.${key} is "${shown(stated)}", not bulk, delta or absent`,
      });
    }
    roster.modes[key] = mode;
  }
  if (files.files.size > 0 && !files.files.has("users.csv") && !files.files.has("orgs.csv")) {
    addProblem(roster, { file: "users.csv", line: 0, reason: "the upload has neither users.csv nor orgs.csv" });
  }
}
