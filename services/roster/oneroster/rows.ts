/**
 * Reading one OneRoster file row by row, and recording its problem rows:
 * a missing required column or a row of the wrong width is a problem, and
 * values quoted in a reason are cut short, because problem rows are stored
 * in KV and shown on the page.
 */
import { CsvFileError, type Header, type RosterFileName, type RosterFiles, type Row, rows } from "../csv.ts";
import type { ParsedRoster, Problem } from "../oneroster.ts";

/** What every file's reader works on. */
export interface Reading {
  roster: ParsedRoster;
  files: RosterFiles;
  slice: () => Promise<void>;
}

const REQUIRED: Record<RosterFileName, string[]> = {
  "manifest.csv": ["propertyName", "value"],
  "orgs.csv": ["sourcedId", "name", "type"],
  "academicSessions.csv": ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"],
  "users.csv": ["sourcedId", "orgSourcedIds", "role", "givenName", "familyName"],
  "courses.csv": ["sourcedId", "title", "orgSourcedId"],
  "classes.csv": ["sourcedId", "title", "courseSourcedId", "schoolSourcedId"],
  "enrollments.csv": ["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"],
};

export const MAX_ID = 64;
const SHOWN_CHARS = 100;
const MAX_REASON = 500;
const cut = (text: string, max: number) => text.length > max ? `${text.slice(0, max)}…` : text;
/** A value as a reason quotes it. */
export const shown = (value: string): string => cut(value, SHOWN_CHARS);

export function addProblem(roster: ParsedRoster, p: Problem): void {
  roster.problems.push({
    ...p,
    sourcedId: p.sourcedId === undefined ? undefined : shown(p.sourcedId),
    reason: cut(p.reason, MAX_REASON),
  });
}

/** A problem with one row, named by the row's sourcedId. */
export function rowProblem(roster: ParsedRoster, file: RosterFileName, row: Row, reason: string): void {
  addProblem(roster, { file, line: row.line, sourcedId: row.get("sourcedId") || undefined, reason });
}

/** A delta file's row that deletes. */
export const isDeleted = (row: Row): boolean => row.get("status") === "tobedeleted";

function missingColumns(file: RosterFileName, header: Header): string[] {
  const have = new Set(header.columns);
  return REQUIRED[file].filter((c) => !have.has(c));
}

/**
 * Reads one file row by row. A missing required column makes the whole file
 * one problem on line 1 and no rows are read; an unreadable CSV is a problem
 * on the line where reading stopped.
 */
export async function eachRow(
  { roster, files, slice }: Reading,
  file: RosterFileName,
  fn: (row: Row) => void,
): Promise<"read" | "absent" | "unreadable"> {
  const bytes = files.files.get(file);
  if (!bytes) return "absent";
  let broken = false;
  let width = 0;
  let n = 0;
  try {
    for await (
      const row of rows(bytes, (header) => {
        width = header.columns.length;
        const missing = missingColumns(file, header);
        if (missing.length > 0) {
          broken = true;
          addProblem(roster, {
            file,
            line: 1,
            reason: `missing required column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
          });
        }
      }, slice)
    ) {
      if (broken) break;
      n++;
      if (row.width !== width) {
        rowProblem(roster, file, row, `has ${row.width} fields where the header has ${width}`);
        if (file === "users.csv" && row.get("sourcedId")) roster.badPeople.add(row.get("sourcedId"));
        continue;
      }
      fn(row);
    }
  } catch (e) {
    if (!(e instanceof CsvFileError)) throw e;
    addProblem(roster, { file, line: e.line, reason: `cannot be read as CSV past this line: ${e.message}` });
    return "unreadable";
  }
  roster.counts.rows[file] = n;
  return broken ? "unreadable" : "read";
}
