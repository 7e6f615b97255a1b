/** enrollments.csv: checked and counted; an enrollment places a student or staff member in its school. */
import type { Row } from "../csv.ts";
import type { Orgs } from "./orgs.ts";
import { eachRow, isDeleted, type Reading, rowProblem, shown } from "./rows.ts";
import type { UserRows } from "./users.ts";

export async function readEnrollments(
  reading: Reading,
  orgs: Orgs,
  classes: Map<string, string>,
  users: UserRows,
): Promise<void> {
  const { roster, files } = reading;
  const problem = (row: Row, reason: string) => rowProblem(roster, "enrollments.csv", row, reason);
  await eachRow(reading, "enrollments.csv", (row) => {
    if (!row.get("sourcedId")) return problem(row, "missing sourcedId");
    if (isDeleted(row)) return;
    const school = row.get("schoolSourcedId");
    const user = row.get("userSourcedId");
    if (!orgs.schoolIds.has(school)) return problem(row, `unknown school ${shown(school)} in schoolSourcedId`);
    if (files.files.has("classes.csv") && !classes.has(row.get("classSourcedId"))) {
      return problem(row, `unknown class ${shown(row.get("classSourcedId"))} in classSourcedId`);
    }
    if (!users.kinds.has(user) && roster.modes.users === "bulk") {
      return problem(row, `unknown user ${shown(user)} in userSourcedId`);
    }
    roster.counts.enrollments++;
    const p = roster.people.get(user);
    if (p && p.kind !== "guardian" && !p.schoolIds.includes(school)) p.schoolIds.push(school);
  });
}
