/** Finding people on the roster by name, across every school. */
import type { Person } from "./model.ts";
import { listSchools } from "./store/district.ts";
import type { Db } from "./store/kv.ts";
import { listPeopleInSchool } from "./store/people.ts";

const KINDS: readonly Person["kind"][] = ["student", "guardian", "staff"];

/**
 * People of the given kinds whose name contains `q` (any case; "" matches
 * everyone), each once however many schools they belong to. Removed people
 * are in no school index, so they are never found.
 */
export async function findPeople(db: Db, q: string, kinds: readonly Person["kind"][] = KINDS): Promise<Person[]> {
  const needle = q.trim().toLowerCase();
  const found = new Map<string, Person>();
  for (const school of await listSchools(db)) {
    for (const kind of kinds) {
      for (const p of await listPeopleInSchool(db, school.id, kind)) {
        if (!found.has(p.id) && `${p.firstName} ${p.lastName}`.toLowerCase().includes(needle)) found.set(p.id, p);
      }
    }
  }
  return [...found.values()];
}
