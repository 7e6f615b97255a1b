/** classes.csv: checked and counted, so that enrollments.csv can be checked against it. */
import type { Row } from "../csv.ts";
import type { Orgs } from "./orgs.ts";
import { eachRow, type Reading, rowProblem, shown } from "./rows.ts";

/** Returns each good class's school, by the class's sourcedId. */
export async function readClasses(reading: Reading, orgs: Orgs, courses: Set<string>): Promise<Map<string, string>> {
  const { roster, files } = reading;
  const problem = (row: Row, reason: string) => rowProblem(roster, "classes.csv", row, reason);
  const classes = new Map<string, string>();
  await eachRow(reading, "classes.csv", (row) => {
    if (!row.get("sourcedId")) return problem(row, "missing sourcedId");
    const school = row.get("schoolSourcedId");
    if (!orgs.schoolIds.has(school)) return problem(row, `unknown school ${shown(school)} in schoolSourcedId`);
    if (files.files.has("courses.csv") && !courses.has(row.get("courseSourcedId"))) {
      return problem(row, `unknown course ${shown(row.get("courseSourcedId"))} in courseSourcedId`);
    }
    classes.set(row.get("sourcedId"), school);
  });
  roster.counts.classes = classes.size;
  return classes;
}
