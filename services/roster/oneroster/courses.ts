/** courses.csv: only checked, so that classes.csv can be checked against it. */
import type { Orgs } from "./orgs.ts";
import { eachRow, type Reading, rowProblem, shown } from "./rows.ts";

/** Returns the sourcedIds of the good courses. */
export async function readCourses(reading: Reading, orgs: Orgs): Promise<Set<string>> {
  const courses = new Set<string>();
  await eachRow(reading, "courses.csv", (row) => {
    if (!row.get("sourcedId")) return rowProblem(reading.roster, "courses.csv", row, "missing sourcedId");
    if (!orgs.known(row.get("orgSourcedId"))) {
      const reason = `unknown org ${shown(row.get("orgSourcedId"))} in orgSourcedId`;
      return rowProblem(reading.roster, "courses.csv", row, reason);
    }
    courses.add(row.get("sourcedId"));
  });
  return courses;
}
