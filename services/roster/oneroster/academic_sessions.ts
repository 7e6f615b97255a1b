/** academicSessions.csv: each school year becomes a calendar for every school. */
import type { Row } from "../csv.ts";
import { eachRow, isDeleted, type Reading, rowProblem, shown } from "./rows.ts";

const SESSION_TYPES = new Set(["gradingPeriod", "semester", "schoolYear", "term"]);
const isoDate = /^\d{4}-\d{2}-\d{2}$/;

export async function readAcademicSessions(reading: Reading): Promise<void> {
  const { roster } = reading;
  if (roster.modes.academicSessions === "absent") return;
  const problem = (row: Row, reason: string) => rowProblem(roster, "academicSessions.csv", row, reason);
  const years: { startDate: string; endDate: string; title: string; schoolYear: string }[] = [];
  await eachRow(reading, "academicSessions.csv", (row) => {
    const type = row.get("type");
    const [start, end] = [row.get("startDate"), row.get("endDate")];
    if (!row.get("sourcedId")) return problem(row, "missing sourcedId");
    if (isDeleted(row)) return;
    if (!SESSION_TYPES.has(type)) {
      return problem(row, `type "${shown(type)}" is not one of ${[...SESSION_TYPES].join(", ")}`);
    }
    if (!isoDate.test(start) || !isoDate.test(end)) {
      return problem(row, "startDate and endDate must be dates as YYYY-MM-DD");
    }
    if (end < start) return problem(row, "endDate is before startDate");
    if (!/^\d{4}$/.test(row.get("schoolYear"))) return problem(row, "schoolYear must be a year such as 2027");
    if (type === "schoolYear") {
      years.push({ startDate: start, endDate: end, title: row.get("title"), schoolYear: row.get("schoolYear") });
    }
  });
  for (const y of years) {
    const startYear = Number(y.startDate.slice(0, 4));
    const label = `${startYear}-${String(startYear + 1).slice(2)}`;
    for (const school of roster.schools) {
      roster.calendars.push({
        id: `${school.id}-${startYear}`,
        schoolId: school.id,
        name: `${label} ${school.name}`,
        schoolYear: label,
        startDate: y.startDate,
        endDate: y.endDate,
      });
    }
  }
}
