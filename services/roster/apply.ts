/**
 * Applying a previewed import, after the administrator confirms: a
 * `roster_apply` job writes the changes 50 people per commit (KV's limits),
 * resuming from its progress after a crash; each person is merged with what
 * is stored at that moment, so preferences a family saved meanwhile stay.
 * Status "applied".
 */
import { type Person, Person as PersonSchema, type Stamp } from "../model.ts";
import { getCalendar, saveCalendar, saveSchool } from "../store/district.ts";
import { type Db, stageEntity } from "../store/kv.ts";
import { getPeopleEntries, personDef } from "../store/people.ts";
import {
  type Change,
  deleteChanges,
  getAppliedHashes,
  getChangeChunk,
  getImport,
  getOrgs,
  markApplied,
  markApplying,
  type RosterImport,
  stageAppliedHash,
  updateImport,
} from "../store/roster_imports.ts";
import { LeaseLost } from "./lease.ts";
import { Packer } from "./packing.ts";
import { MAX_PERSON_BYTES, mergePerson, recordBytes } from "./roster_person.ts";

/** People per commit: each writes its record, hash and index entries (whole person per school). */
const PEOPLE_PER_COMMIT = 50;
/** What a commit's people may take, estimated with `recordBytes`: KV takes 800 KiB a commit, keys included. */
const COMMIT_BYTES = 640 * 1024;

export type StartResult = "started" | "stale" | "busy" | "not-ready" | "needs-confirm";

/**
 * Marks a ready import as applying, if no other import was applied or is
 * applying since its preview. The caller then runs `applyImport` (as a job).
 */
export async function startApply(
  db: Db,
  id: string,
  by: Stamp,
  opts: { skipProblems: boolean },
  stage?: (op: Deno.AtomicOperation) => void,
): Promise<StartResult> {
  const current = await getImport(db, id);
  if (!current || current.value.status !== "ready") return "not-ready";
  if ((current.value.summary?.problems ?? 0) > 0 && !opts.skipProblems) return "needs-confirm";
  return await markApplying(db, current, { ...current.value, status: "applying", applied: by, ...opts }, stage);
}

/** Writes one batch of changes; a batch that races a family's save is read again and retried. */
async function applyBatch(db: Db, batch: Change[], at: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const people = await getPeopleEntries(db, batch.map((c) => c.id));
    const hashes = await getAppliedHashes(db, batch.map((c) => c.id));
    const op = db.kv.atomic();
    batch.forEach((c, i) => {
      if (hashes[i] === c.hash) return; // already written (a re-run after a crash)
      const entry = people.get(c.id)!;
      const previous = entry.versionstamp
        ? { value: PersonSchema.parse(entry.value), versionstamp: entry.versionstamp }
        : null;
      let next: Person | null;
      if (c.op === "remove") {
        next = previous ? { ...previous.value, removedAt: at } : null;
      } else {
        next = mergePerson(previous?.value ?? null, c.roster!);
      }
      if (next) stageEntity(op, db, personDef, previous, next);
      stageAppliedHash(op, db, c.id, c.hash);
    });
    if ((await op.commit()).ok) return;
  }
  throw new Error("roster apply: people kept changing under one batch ten times in a row");
}

/** A chunk's changes in commits of at most PEOPLE_PER_COMMIT people and COMMIT_BYTES. */
function batches(chunk: Change[]): Change[][] {
  const packer = new Packer<Change>(COMMIT_BYTES, PEOPLE_PER_COMMIT);
  for (const c of chunk) {
    // A removal rewrites the stored record once; the preview keeps records within MAX_PERSON_BYTES.
    packer.add(c, c.roster ? recordBytes(c.roster) * (1 + c.roster.schoolIds.length) : MAX_PERSON_BYTES);
  }
  return packer.done();
}

/** The import's schools and calendars; a calendar's no-school days are the district's, not the roster's. */
async function applyOrgs(db: Db, id: string): Promise<void> {
  const orgs = await getOrgs(db, id);
  for (const s of orgs?.schools ?? []) await saveSchool(db, s);
  for (const cal of orgs?.calendars ?? []) {
    const had = await getCalendar(db, cal.id);
    await saveCalendar(db, { ...cal, noSchoolDays: had?.noSchoolDays ?? [] });
  }
}

/**
 * Applies an import from change chunk `from` on. `onChunk` is called after
 * each chunk with the next chunk's index (the job stores it to resume).
 */
export async function applyImport(
  db: Db,
  id: string,
  now: () => string,
  from = 0,
  onChunk?: (next: number) => Promise<boolean>,
): Promise<RosterImport> {
  const current = await getImport(db, id);
  if (!current || current.value.status !== "applying") return current?.value as RosterImport;
  if (from === 0) await applyOrgs(db, id);
  let done = 0;
  for (let n = 0; n < from; n++) done += (await getChangeChunk(db, id, n)).length;
  for (let n = from; n < current.value.changeChunks; n++) {
    const chunk = await getChangeChunk(db, id, n);
    const at = now();
    for (const batch of batches(chunk)) await applyBatch(db, batch, at);
    done += chunk.length;
    await updateImport(db, id, (i) => ({ ...i, progress: { ...i.progress, done } }));
    if (onChunk && !(await onChunk(n + 1))) throw new LeaseLost("roster apply: lost the job's lease");
  }
  const finished = await updateImport(db, id, (i) => ({ ...i, status: "applied", finishedAt: now() }));
  await markApplied(db, id, now());
  await deleteChanges(db, id);
  return finished;
}
