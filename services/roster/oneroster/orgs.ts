/** orgs.csv: the district's organisations; those of type school become Messenger's schools. */
import type { Row } from "../csv.ts";
import { eachRow, isDeleted, MAX_ID, type Reading, rowProblem, shown } from "./rows.ts";

/** The orgs other files may name. */
export interface Orgs {
  schoolIds: Set<string>;
  known(id: string): boolean;
}

const ORG_TYPES = new Set(["department", "school", "district", "local", "state", "national"]);
/** A school's name, at most: schools and their calendars are kept together in one KV value. */
const MAX_ORG_NAME = 200;

/** `knownSchools`: schools already in Messenger, which a delta users.csv may name without an orgs.csv. */
export async function readOrgs(reading: Reading, knownSchools?: Set<string>): Promise<Orgs> {
  const { roster } = reading;
  const orgIds = new Set<string>();
  const schoolIds = new Set(knownSchools ?? []);
  const problem = (row: Row, reason: string) => rowProblem(roster, "orgs.csv", row, reason);
  if (roster.modes.orgs !== "absent") {
    await eachRow(reading, "orgs.csv", (row) => {
      const id = row.get("sourcedId");
      const type = row.get("type");
      if (!id) return problem(row, "missing sourcedId");
      if (id.length > MAX_ID) return problem(row, `sourcedId is longer than ${MAX_ID} characters`);
      if (orgIds.has(id)) return problem(row, `sourcedId ${shown(id)} appears twice`);
      if (isDeleted(row)) return;
      if (!ORG_TYPES.has(type)) return problem(row, `type "${shown(type)}" is not one of ${[...ORG_TYPES].join(", ")}`);
      if (!row.get("name")) return problem(row, "missing name");
      if (row.get("name").length > MAX_ORG_NAME) return problem(row, `name is longer than ${MAX_ORG_NAME} characters`);
      orgIds.add(id);
      if (type === "school") {
        schoolIds.add(id);
        roster.schools.push({ id, name: row.get("name") });
      }
    });
  }
  return { schoolIds, known: (id) => orgIds.has(id) || schoolIds.has(id) };
}
