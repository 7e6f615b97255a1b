import { type Device, Person } from "../model.ts";
import {
  ConflictError,
  type Db,
  type EntityDef,
  getEntity,
  getManyAll,
  listAll,
  saveEntity,
  stageEntity,
  type Versioned,
} from "./kv.ts";

const personKey = (db: Db, id: string): Deno.KvKey => [db.districtId, "person", id];

/** The school index holds the whole person: resolving a school is one list. */
const personDef: EntityDef<Person> = {
  schema: Person,
  key: (db, p) => personKey(db, p.id),
  indexes: (db, p) =>
    p.removedAt ? [] : [
      ...p.schoolIds.map((s) => ({ key: [db.districtId, "person_by_school", s, p.kind, p.id], value: p })),
      // Who has a number: a STOP reply names only the number.
      ...[...new Set(p.devices.filter((d) => d.kind === "phone").map((d) => d.address))].map((address) => ({
        key: [db.districtId, "person_by_phone", address, p.id],
        value: p.id,
      })),
      // Who has an address, lower-cased: a family signing in names only their address.
      ...[...new Set(p.devices.filter((d) => d.kind === "email").map((d) => d.address.toLowerCase()))].map((
        address,
      ) => ({ key: [db.districtId, "person_by_email", address, p.id], value: p.id })),
    ],
};
export { personDef };

/** Many people by id, all read at once. */
export async function getPeople(db: Db, ids: string[]): Promise<Map<string, Person>> {
  const out = new Map<string, Person>();
  for (const e of await getManyAll(db, [...new Set(ids)].map((id) => personKey(db, id)))) {
    if (e.value) out.set(e.key[2] as string, Person.parse(e.value));
  }
  return out;
}

/** Many people as stored, with their versionstamps (null where absent), for writes checked against them. */
export async function getPeopleEntries(db: Db, ids: string[]): Promise<Map<string, Deno.KvEntryMaybe<Person>>> {
  const entries = await getManyAll<Person>(db, ids.map((id) => personKey(db, id)));
  return new Map(entries.map((e) => [e.key[2] as string, e]));
}

/**
 * STOP (opt out) or START (opt back in) for texts to a number, on every
 * person who has it. Returns how many devices changed.
 */
export function setTextOptOut(db: Db, address: string, at: string | null): Promise<number> {
  return changeDevicesAt(
    db,
    "phone",
    address,
    (d) => Boolean(d.textOptOutAt) === Boolean(at) ? d : { ...d, textOptOutAt: at ?? undefined },
  );
}

/**
 * Turns off General email for everyone with this address (an unsubscribe,
 * or a complaint that it was spam): Priority and Emergency still arrive, and
 * the family can turn General back on in their preferences. The number of
 * devices changed.
 */
export function turnOffGeneralEmail(db: Db, address: string): Promise<number> {
  return changeDevicesAt(db, "email", address, (d) => d.general ? { ...d, general: false } : d);
}

/** Applies `change` to every device at this address, person by person, each a checked save retried on a race. */
async function changeDevicesAt(
  db: Db,
  kind: "phone" | "email",
  address: string,
  change: (d: Device) => Device,
): Promise<number> {
  const matches = (d: Device) =>
    d.kind === kind && (kind === "email" ? d.address.toLowerCase() === address.toLowerCase() : d.address === address);
  let changed = 0;
  const key = kind === "phone" ? address : address.toLowerCase();
  // Every person with it, however many share it (a school office's number), unlike sign-in's lookup.
  for await (const { value: personId } of db.kv.list<string>({ prefix: [db.districtId, `person_by_${kind}`, key] })) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await getPerson(db, personId);
      if (!current) break;
      let n = 0;
      const devices = current.value.devices.map((d) => {
        if (!matches(d)) return d;
        const next = change(d);
        if (next !== d) n++;
        return next;
      });
      if (n === 0) break;
      try {
        await savePerson(db, current, { ...current.value, devices });
        changed += n;
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }
  return changed;
}

/** The ids of the people (not removed) with this phone (E.164) or email address (any case). */
export async function personIdsByAddress(db: Db, kind: "phone" | "email", address: string): Promise<string[]> {
  const key = kind === "phone" ? address : address.toLowerCase();
  const ids: string[] = [];
  for await (const e of db.kv.list<string>({ prefix: [db.districtId, `person_by_${kind}`, key] }, { limit: 50 })) {
    ids.push(e.value);
  }
  return ids;
}

export function getPerson(
  db: Db,
  id: string,
): Promise<Versioned<Person> | null> {
  return getEntity(db, Person, personKey(db, id));
}

export function savePerson(
  db: Db,
  previous: Versioned<Person> | null,
  next: Person,
): Promise<string> {
  return saveEntity(db, personDef, previous, next);
}

/** People per commit: within KV's 100 checks and 800 KiB per atomic write. */
const BATCH = 50;

/** Creates many new people in batches that fit one commit each. */
export async function createPeople(db: Db, people: Person[]): Promise<void> {
  const batch = BATCH;
  for (let i = 0; i < people.length; i += batch) {
    const op = db.kv.atomic();
    for (const p of people.slice(i, i + batch)) {
      stageEntity(op, db, personDef, null, p);
    }
    const result = await op.commit();
    if (!result.ok) throw new Error("createPeople: a person id already exists");
  }
}

/** The same list read as it goes, for a caller that must not hold a whole district. */
export async function* eachPersonInSchool(db: Db, schoolId: string, kind: Person["kind"]): AsyncGenerator<Person> {
  const prefix = [db.districtId, "person_by_school", schoolId, kind];
  for await (const entry of db.kv.list({ prefix }, { batchSize: 500 })) yield Person.parse(entry.value);
}

export function listPeopleInSchool(
  db: Db,
  schoolId: string,
  kind: Person["kind"],
): Promise<Person[]> {
  return listAll(
    db,
    [db.districtId, "person_by_school", schoolId, kind],
    Person,
  );
}
