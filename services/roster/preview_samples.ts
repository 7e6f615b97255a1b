/** The first people a preview would add, update and remove, with what changed for each update, in words. */
import type { Person } from "../model.ts";
import type { Db } from "../store/kv.ts";
import { getPeople } from "../store/people.ts";
import type { Change, RosterImport, Sample } from "../store/roster_imports.ts";
import { mergePerson, type RosterPerson } from "./roster_person.ts";

type Samples = NonNullable<RosterImport["summary"]>["samples"];

const SAMPLES = 20;

/** A name as the preview's samples show it: they are kept in the import's record. */
const nameOf = (p: { firstName: string; lastName: string }) => {
  const name = `${p.firstName} ${p.lastName}`;
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
};

/** What changed in a person's roster fields, in words. */
function describeUpdate(before: Person, after: RosterPerson): string {
  const merged = mergePerson(before, after);
  const changed: string[] = [];
  if (before.firstName !== merged.firstName || before.lastName !== merged.lastName) changed.push("name");
  if (before.removedAt) changed.push("back on the roster");
  if ([...before.schoolIds].sort().join() !== [...merged.schoolIds].sort().join()) changed.push("schools");
  if ((before.grade ?? "") !== (merged.grade ?? "")) changed.push("grade");
  if ([...before.studentIds].sort().join() !== [...merged.studentIds].sort().join()) changed.push("students");
  for (const d of ["email", "mobile", "phone"]) {
    const a = before.devices.find((x) => x.id === d)?.address;
    const b = merged.devices.find((x) => x.id === d)?.address;
    if (a !== b) changed.push(d === "mobile" ? "text phone" : d);
  }
  if ((before.language ?? "") !== (merged.language ?? "")) changed.push("language");
  else if (after.language === null) changed.push("language not read (see the problem rows)");
  else if (after.language && after.language !== before.language) changed.push("language kept: the family chose it");
  return changed.join(", ") || "record format";
}

/** `removed`: the stored records of the people removed. */
export async function previewSamples(db: Db, changes: Change[], removed: Map<string, Person>): Promise<Samples> {
  const samples = { add: [] as Sample[], update: [] as Sample[], remove: [] as Sample[] };
  const firstUpdates = changes.filter((c) => c.op === "update").slice(0, SAMPLES);
  const updateBefore = await getPeople(db, firstUpdates.map((c) => c.id));
  for (const c of changes) {
    const list = samples[c.op];
    if (list.length >= SAMPLES) continue;
    if (c.op === "remove") {
      const p = removed.get(c.id)!;
      list.push({ id: c.id, name: nameOf(p), kind: p.kind });
    } else {
      const before = updateBefore.get(c.id);
      list.push({
        id: c.id,
        name: nameOf(c.roster!),
        kind: c.roster!.kind,
        detail: c.op === "update" && before ? describeUpdate(before, c.roster!) : undefined,
      });
    }
  }
  return samples;
}
