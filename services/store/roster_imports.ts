/**
 * Roster imports in KV: the import's record, the uploaded files in chunks,
 * the preview's changes and problem rows in chunks, the schools and
 * calendars beside them, each person's hash as the last import wrote it,
 * and the district's roster state (one import applying at a time).
 */
import { z } from "zod";
import { ROSTER_FILES, type RosterFileName, slicer } from "../roster/csv.ts";
import type { Problem, RosterCalendar, RosterSchool } from "../roster/oneroster.ts";
import type { RosterPerson } from "../roster/roster_person.ts";
import { type Db, deletePrefix, getManyAll, joinChunks, type Versioned } from "./kv.ts";

const KindCounts = z.object({ student: z.number(), guardian: z.number(), staff: z.number() });
export type KindCounts = z.infer<typeof KindCounts>;
const Sample = z.object({ id: z.string(), name: z.string(), kind: z.string(), detail: z.string().optional() });
export type Sample = z.infer<typeof Sample>;

export const RosterImport = z.object({
  id: z.string(),
  status: z.enum(["previewing", "ready", "applying", "applied", "failed", "discarded"]),
  created: z.object({ userId: z.string(), name: z.string(), at: z.string() }),
  files: z.array(z.object({ name: z.string(), size: z.number() })),
  ignored: z.array(z.string()).default([]),
  /** What `roster_state` was when the preview was made: apply refuses a preview another import overtook. */
  basis: z.string().nullable().default(null),
  summary: z.object({
    modes: z.record(z.string(), z.string()),
    rows: z.record(z.string(), z.number()),
    roles: z.record(z.string(), z.number()),
    add: KindCounts,
    update: KindCounts,
    remove: KindCounts,
    unchanged: z.number(),
    /** People whose row has a problem: left exactly as they are. */
    skipped: z.number(),
    schools: z.object({ add: z.array(z.string()), update: z.array(z.string()) }),
    calendars: z.object({ add: z.array(z.string()), update: z.array(z.string()) }),
    classes: z.number(),
    enrollments: z.number(),
    problems: z.number(),
    samples: z.object({ add: z.array(Sample), update: z.array(Sample), remove: z.array(Sample) }),
    /** Everyone in Messenger from earlier imports (to weigh the removals against). */
    existing: z.number(),
  }).optional(),
  changeChunks: z.number().default(0),
  progress: z.object({ done: z.number(), total: z.number() }).default({ done: 0, total: 0 }),
  skipProblems: z.boolean().default(false),
  applied: z.object({ userId: z.string(), name: z.string(), at: z.string() }).optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
});
export type RosterImport = z.infer<typeof RosterImport>;

/** One person's change in a preview, applied as it is stored. */
export interface Change {
  op: "add" | "update" | "remove";
  id: string;
  /** The hash to store: "-" for a removal. */
  hash: string;
  roster?: RosterPerson;
}

/** The schools and calendars of a preview: a few hundred at most, so one value. */
export interface RosterOrgs {
  schools: RosterSchool[];
  calendars: RosterCalendar[];
}

const importKey = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_import", id];
const importsPrefix = (db: Db): Deno.KvKey => [db.districtId, "roster_import"];
const blobPrefix = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_blob", id];
const changePrefix = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_change", id];
const problemPrefix = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_problem", id];
const orgsKey = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_orgs", id];
const hashKey = (db: Db, personId: string): Deno.KvKey => [db.districtId, "roster_hash", personId];
const hashesPrefix = (db: Db): Deno.KvKey => [db.districtId, "roster_hash"];
/** Which import last applied, and which is applying: one at a time. */
const stateKey = (db: Db): Deno.KvKey => [db.districtId, "roster_state"];

interface RosterState {
  applying?: string;
  last?: string;
  at?: string;
}

const BLOB_CHUNK = 60 * 1024;
/** Values per atomic commit when writing chunks: well under KV's 800 KiB a commit. */
const CHUNKS_PER_COMMIT = 10;

async function writeChunks(
  db: Db,
  prefix: Deno.KvKey,
  values: unknown[],
  slice: () => Promise<void> = slicer(),
): Promise<void> {
  for (let i = 0; i < values.length; i += CHUNKS_PER_COMMIT) {
    await slice();
    const op = db.kv.atomic();
    values.slice(i, i + CHUNKS_PER_COMMIT).forEach((v, j) => op.set([...prefix, i + j], v));
    if (!(await op.commit()).ok) throw new Error("writing roster chunks failed");
  }
}

export async function getImport(db: Db, id: string): Promise<Versioned<RosterImport> | null> {
  const e = await db.kv.get(importKey(db, id));
  return e.versionstamp ? { value: RosterImport.parse(e.value), versionstamp: e.versionstamp } : null;
}

/** The latest imports first. */
export async function listImports(db: Db, limit = 20): Promise<RosterImport[]> {
  const out: RosterImport[] = [];
  for await (const e of db.kv.list({ prefix: importsPrefix(db) })) out.push(RosterImport.parse(e.value));
  return out.sort((a, b) => b.created.at.localeCompare(a.created.at)).slice(0, limit);
}

/** Every import with its versionstamp, in id order. */
export async function* eachImport(db: Db): AsyncGenerator<Versioned<RosterImport>> {
  for await (const e of db.kv.list({ prefix: importsPrefix(db) })) {
    yield { value: RosterImport.parse(e.value), versionstamp: e.versionstamp };
  }
}

export async function createImportRecord(db: Db, record: RosterImport): Promise<void> {
  await db.kv.set(importKey(db, record.id), record);
}

/** Replaces an import's record if it is still `current`; false if it moved meanwhile. */
export async function saveImport(db: Db, current: Versioned<RosterImport>, next: RosterImport): Promise<boolean> {
  const r = await db.kv.atomic().check({ key: importKey(db, next.id), versionstamp: current.versionstamp }).set(
    importKey(db, next.id),
    RosterImport.parse(next),
  ).commit();
  return r.ok;
}

/** Saves the changed fields of an import, re-reading on a conflict (progress writes race with nothing else). */
export async function updateImport(
  db: Db,
  id: string,
  patch: (i: RosterImport) => RosterImport,
): Promise<RosterImport> {
  for (;;) {
    const current = await getImport(db, id);
    if (!current) throw new Error(`roster import ${id} is gone`);
    const next = patch(current.value);
    if (await saveImport(db, current, next)) return next;
  }
}

/** Deletes an import whole: record, files, changes, problem rows, schools and calendars. */
export async function deleteImport(db: Db, entry: Versioned<RosterImport>): Promise<void> {
  const id = entry.value.id;
  for (const prefix of [problemPrefix(db, id), changePrefix(db, id), blobPrefix(db, id)]) {
    await deletePrefix(db, prefix);
  }
  await db.kv.atomic().check({ key: importKey(db, id), versionstamp: entry.versionstamp }).delete(importKey(db, id))
    .delete(orgsKey(db, id)).commit();
}

/** Stores one uploaded file in chunks under KV's 64 KiB a value. */
export async function saveUploadedFile(db: Db, id: string, name: RosterFileName, bytes: Uint8Array): Promise<void> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += BLOB_CHUNK) parts.push(bytes.slice(i, i + BLOB_CHUNK));
  await writeChunks(db, [...blobPrefix(db, id), name], parts);
}

export async function loadUploadedFiles(
  db: Db,
  id: string,
  slice: () => Promise<void>,
): Promise<Map<RosterFileName, Uint8Array>> {
  const files = new Map<RosterFileName, Uint8Array>();
  for (const name of ROSTER_FILES) {
    await slice();
    const parts: Uint8Array[] = [];
    for await (const e of db.kv.list<Uint8Array>({ prefix: [...blobPrefix(db, id), name] })) parts.push(e.value);
    if (parts.length > 0) files.set(name, joinChunks(parts));
  }
  return files;
}

export function deleteUploadedFiles(db: Db, id: string): Promise<void> {
  return deletePrefix(db, blobPrefix(db, id));
}

/** Every sourcedId earlier imports wrote, with its hash ("-" once removed). */
export async function loadAppliedHashes(db: Db, slice: () => Promise<void>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of db.kv.list<string>({ prefix: hashesPrefix(db) }, { batchSize: 1000 })) {
    await slice();
    out.set(e.key[2] as string, e.value);
  }
  return out;
}

/** The hashes the last imports wrote for these people, in their order. */
export async function getAppliedHashes(db: Db, personIds: string[]): Promise<(string | null)[]> {
  return (await getManyAll<string>(db, personIds.map((id) => hashKey(db, id)))).map((e) => e.value);
}

export function stageAppliedHash(op: Deno.AtomicOperation, db: Db, personId: string, hash: string): void {
  op.set(hashKey(db, personId), hash);
}

/** A preview's changes (chunks of at most 64 KiB each), its problem rows and its schools and calendars. */
export async function savePreview(
  db: Db,
  id: string,
  preview: { changeChunks: Change[][]; problemChunks: Problem[][]; orgs: RosterOrgs },
  slice: () => Promise<void>,
): Promise<void> {
  await writeChunks(db, changePrefix(db, id), preview.changeChunks, slice);
  await writeChunks(db, problemPrefix(db, id), preview.problemChunks, slice);
  await db.kv.set(orgsKey(db, id), preview.orgs);
}

/** What an earlier run of the same preview wrote. */
export async function deletePreview(db: Db, id: string): Promise<void> {
  await deletePrefix(db, changePrefix(db, id));
  await deletePrefix(db, problemPrefix(db, id));
}

export async function getChangeChunk(db: Db, id: string, n: number): Promise<Change[]> {
  return (await db.kv.get<Change[]>([...changePrefix(db, id), n])).value ?? [];
}

export function deleteChanges(db: Db, id: string): Promise<void> {
  return deletePrefix(db, changePrefix(db, id));
}

export async function getOrgs(db: Db, id: string): Promise<RosterOrgs | null> {
  return (await db.kv.get<RosterOrgs>(orgsKey(db, id))).value;
}

/** Every problem row of an import, in file and line order, chunk by chunk. */
export async function* problemsOf(db: Db, id: string): AsyncGenerator<Problem> {
  for await (const e of db.kv.list<Problem[]>({ prefix: problemPrefix(db, id) })) yield* e.value;
}

/** The roster state's versionstamp now: a preview made now is stale once another import applies. */
export async function rosterBasis(db: Db): Promise<string | null> {
  return (await db.kv.get(stateKey(db))).versionstamp;
}

/** The import applied last, which pruning keeps. */
export async function lastAppliedImport(db: Db): Promise<string | undefined> {
  return (await db.kv.get<RosterState>(stateKey(db))).value?.last;
}

/**
 * Saves `next` (the import, now applying) and marks it the one applying, if
 * no import is applying and none applied since `current`'s preview. `stage`
 * adds writes to the same commit.
 */
export async function markApplying(
  db: Db,
  current: Versioned<RosterImport>,
  next: RosterImport,
  stage?: (op: Deno.AtomicOperation) => void,
): Promise<"started" | "busy" | "stale"> {
  const state = await db.kv.get<RosterState>(stateKey(db));
  if (state.value?.applying) return "busy";
  if (state.versionstamp !== current.value.basis) return "stale";
  const op = db.kv.atomic().check({ key: importKey(db, next.id), versionstamp: current.versionstamp }).check(state)
    .set(stateKey(db), { applying: next.id })
    .set(importKey(db, next.id), RosterImport.parse(next));
  stage?.(op);
  return (await op.commit()).ok ? "started" : "stale";
}

export async function markApplied(db: Db, id: string, at: string): Promise<void> {
  await db.kv.set(stateKey(db), { last: id, at });
}

/** Lets another import apply, if this one was applying. */
export async function releaseApplying(db: Db, id: string): Promise<void> {
  const state = await db.kv.get<RosterState>(stateKey(db));
  if (state.value?.applying === id) await db.kv.atomic().check(state).delete(stateKey(db)).commit();
}
