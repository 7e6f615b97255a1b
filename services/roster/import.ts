/**
 * A roster import from upload to applied, in KV:
 *
 *   upload   the files, in 60 KiB chunks, and the import record (status
 *            "previewing") with a durable `roster_preview` job;
 *   preview  parse and check; compare every good row with the hash of what
 *            the last import wrote for that sourcedId; write the changes
 *            (add / update / remove) and the problem rows in chunks; status
 *            "ready". Nothing about people has changed yet.
 *   apply    after the administrator confirms: a `roster_apply` job writes
 *            the changes 50 people per commit (KV's limits), resuming from
 *            its progress after a crash; each person is merged with what is
 *            stored at that moment, so preferences a family saved meanwhile
 *            stay. Status "applied".
 *
 * Re-importing the same files finds every hash equal: nothing to change.
 */
import { z } from "zod";
import type { Person, Stamp } from "../model.ts";
import { getCalendar, listSchools, saveCalendar, saveSchool } from "../store/district.ts";
import { type Db, getManyAll, newId, stageEntity, type Versioned } from "../store/kv.ts";
import { personDef } from "../store/people.ts";
import { Person as PersonSchema } from "../model.ts";
import {
  collectFiles,
  ROSTER_FILES,
  type RosterFileName,
  slicer,
  UPLOAD_LIMITS,
  type UploadedFile,
  UploadError,
  type UploadLimits,
} from "./csv.ts";
import {
  MAX_PERSON_BYTES,
  mergePerson,
  type ParsedRoster,
  type ParseOptions,
  parseRoster,
  type Problem,
  recordBytes,
  type RosterCalendar,
  rosterHash,
  type RosterPerson,
} from "./oneroster.ts";

export { MAX_UPLOAD_BYTES } from "./csv.ts";

const KindCounts = z.object({ student: z.number(), guardian: z.number(), staff: z.number() });
type KindCounts = z.infer<typeof KindCounts>;
const Sample = z.object({ id: z.string(), name: z.string(), kind: z.string(), detail: z.string().optional() });

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

const Change = z.object({
  op: z.enum(["add", "update", "remove"]),
  id: z.string(),
  /** The hash to store: "-" for a removal. */
  hash: z.string(),
  roster: z.custom<RosterPerson>().optional(),
});
type Change = z.infer<typeof Change>;

const importKey = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_import", id];
const blobPrefix = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_blob", id];
const changePrefix = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_change", id];
const problemPrefix = (db: Db, id: string): Deno.KvKey => [db.districtId, "roster_problem", id];
const hashKey = (db: Db, personId: string): Deno.KvKey => [db.districtId, "roster_hash", personId];
/** Which import last applied, and which is applying: one at a time. */
const stateKey = (db: Db): Deno.KvKey => [db.districtId, "roster_state"];

const BLOB_CHUNK = 60 * 1024;
/** Values per atomic commit when writing chunks: well under KV's 800 KiB a commit. */
const CHUNKS_PER_COMMIT = 10;
/** People per commit: each writes its record, hash and index entries (whole person per school). */
export const PEOPLE_PER_COMMIT = 50;
/** What a commit's people may take, estimated with `recordBytes`: KV takes 800 KiB a commit, keys included. */
const COMMIT_BYTES = 640 * 1024;
/** JSON characters per change or problem chunk: under KV's 64 KiB a value. */
const CHUNK_CHARS = 40_000;
/** A failed import's reason, at most: it is kept in the import's record. */
const MAX_ERROR = 1000;

/** The job running a preview or an apply lost its lease: another worker has the job, and this one stops. */
export class LeaseLost extends Error {}

export async function getImport(db: Db, id: string): Promise<Versioned<RosterImport> | null> {
  const e = await db.kv.get(importKey(db, id));
  return e.versionstamp ? { value: RosterImport.parse(e.value), versionstamp: e.versionstamp } : null;
}

export async function listImports(db: Db, limit = 20): Promise<RosterImport[]> {
  const out: RosterImport[] = [];
  for await (const e of db.kv.list({ prefix: [db.districtId, "roster_import"] })) {
    out.push(RosterImport.parse(e.value));
  }
  return out.sort((a, b) => b.created.at.localeCompare(a.created.at)).slice(0, limit);
}

async function putImport(db: Db, current: Versioned<RosterImport>, next: RosterImport): Promise<boolean> {
  const r = await db.kv.atomic().check({ key: importKey(db, next.id), versionstamp: current.versionstamp }).set(
    importKey(db, next.id),
    RosterImport.parse(next),
  ).commit();
  return r.ok;
}

/** Saves the changed fields of an import, re-reading on a conflict (progress writes race with nothing else). */
async function updateImport(db: Db, id: string, patch: (i: RosterImport) => RosterImport): Promise<RosterImport> {
  for (;;) {
    const current = await getImport(db, id);
    if (!current) throw new Error(`roster import ${id} is gone`);
    const next = patch(current.value);
    if (await putImport(db, current, next)) return next;
  }
}

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

/** Groups items into arrays of at most CHUNK_CHARS of JSON each. */
async function chunked<T>(items: Iterable<T>, slice: () => Promise<void>): Promise<T[][]> {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    await slice();
    const n = JSON.stringify(item).length;
    if (current.length > 0 && size + n > CHUNK_CHARS) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

async function deletePrefix(db: Db, prefix: Deno.KvKey): Promise<void> {
  let op = db.kv.atomic();
  let n = 0;
  for await (const e of db.kv.list({ prefix })) {
    op.delete(e.key);
    if (++n % 500 === 0) {
      await op.commit();
      op = db.kv.atomic();
    }
  }
  await op.commit();
}

/**
 * Stores an upload and its import record. Returns the import, or throws an
 * UploadError, before anything is stored, for files that cannot be read at
 * all, are over a limit, or are no OneRoster CSV.
 */
export async function createImport(
  db: Db,
  uploads: UploadedFile[],
  by: Stamp,
  limits: UploadLimits = UPLOAD_LIMITS,
): Promise<RosterImport> {
  const { files, ignored } = await collectFiles(uploads, limits);
  if (files.size === 0) {
    throw new UploadError(`none of the files is a OneRoster CSV (${uploads.map((u) => u.name).join(", ")})`);
  }
  const id = `${by.at.replace(/[-:.TZ]/g, "").slice(0, 14)}-${newId()}`;
  for (const [name, bytes] of files) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += BLOB_CHUNK) parts.push(bytes.slice(i, i + BLOB_CHUNK));
    await writeChunks(db, [...blobPrefix(db, id), name], parts);
  }
  const state = await db.kv.get(stateKey(db));
  const record: RosterImport = RosterImport.parse({
    id,
    status: "previewing",
    created: by,
    files: [...files].map(([name, bytes]) => ({ name, size: bytes.length })),
    ignored,
    basis: state.versionstamp,
  });
  await db.kv.set(importKey(db, id), record);
  return record;
}

async function loadFiles(db: Db, id: string, slice: () => Promise<void>) {
  const files = new Map<RosterFileName, Uint8Array>();
  for (const name of ROSTER_FILES) {
    await slice();
    const parts: Uint8Array[] = [];
    for await (const e of db.kv.list<Uint8Array>({ prefix: [...blobPrefix(db, id), name] })) parts.push(e.value);
    if (parts.length === 0) continue;
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    files.set(name, bytes);
  }
  return files;
}

/** Every sourcedId earlier imports wrote, with its hash ("-" once removed). */
async function loadHashes(db: Db, slice: () => Promise<void>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of db.kv.list<string>({ prefix: [db.districtId, "roster_hash"] }, { batchSize: 1000 })) {
    await slice();
    out.set(e.key[2] as string, e.value);
  }
  return out;
}

const zero = (): KindCounts => ({ student: 0, guardian: 0, staff: 0 });
/** A name as the preview's samples show it: they are kept in the import's record. */
const nameOf = (p: { firstName: string; lastName: string }) => {
  const name = `${p.firstName} ${p.lastName}`;
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
};
const SAMPLES = 20;

/** What changed in a person's roster fields, in words, for the preview. */
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
  return changed.join(", ") || "record format";
}

/**
 * Builds the preview of an uploaded import. Idempotent: run again after a
 * crash, it writes the same. The work goes in slices (see `slicer`); after
 * each, `onSlice` is asked whether to go on (the job renews its lease there);
 * false stops the preview with LeaseLost.
 */
export async function buildPreview(
  db: Db,
  id: string,
  opts: ParseOptions & { onSlice?: () => Promise<boolean> } = {},
): Promise<RosterImport> {
  const current = await getImport(db, id);
  if (!current || current.value.status !== "previewing") return current?.value as RosterImport;
  const slice = slicer(async () => {
    if (opts.onSlice && !(await opts.onSlice())) throw new LeaseLost("roster preview: lost the job's lease");
  });
  const files = await loadFiles(db, id, slice);
  const schools = await listSchools(db);
  const roster: ParsedRoster = await parseRoster({ files, ignored: current.value.ignored }, {
    ...opts,
    slice,
    knownSchools: new Set(schools.map((s) => s.id)),
    knownPeople: async (ids) => {
      const out = new Map<string, Person["kind"]>();
      for (const e of await getManyAll<Person>(db, ids.map((p) => [db.districtId, "person", p]))) {
        if (e.value) out.set(e.key[2] as string, e.value.kind);
      }
      return out;
    },
  });
  const hashes = await loadHashes(db, slice);
  const changes: Change[] = [];
  const counts = { add: zero(), update: zero(), remove: zero() };
  let unchanged = 0;
  for (const p of roster.people.values()) {
    await slice();
    const hash = rosterHash(p);
    const before = hashes.get(p.id);
    if (before === hash) {
      unchanged++;
      continue;
    }
    const op = before === undefined ? "add" : "update";
    counts[op][p.kind]++;
    changes.push({ op, id: p.id, hash, roster: p });
  }
  const removals = roster.modes.users === "bulk"
    ? [...hashes].filter(([pid, h]) => h !== "-" && !roster.people.has(pid) && !roster.badPeople.has(pid))
      .map(([pid]) => pid)
    : [...roster.deleted].filter((pid) => hashes.has(pid) && hashes.get(pid) !== "-");
  // Reading the people removed tells the preview their names and kinds.
  const removedPeople = new Map<string, Person>();
  for (const e of await getManyAll(db, removals.map((p) => [db.districtId, "person", p]))) {
    if (e.value) removedPeople.set(e.key[2] as string, PersonSchema.parse(e.value));
  }
  for (const pid of removals) {
    const p = removedPeople.get(pid);
    if (!p) continue;
    counts.remove[p.kind]++;
    changes.push({ op: "remove", id: pid, hash: "-" });
  }

  const samples = {
    add: [] as z.infer<typeof Sample>[],
    update: [] as z.infer<typeof Sample>[],
    remove: [] as z.infer<typeof Sample>[],
  };
  const firstUpdates = changes.filter((c) => c.op === "update").slice(0, SAMPLES);
  const updateBefore = new Map<string, Person>();
  for (const c of firstUpdates) {
    const e = await db.kv.get([db.districtId, "person", c.id]);
    if (e.value) updateBefore.set(c.id, PersonSchema.parse(e.value));
  }
  for (const c of changes) {
    const list = samples[c.op];
    if (list.length >= SAMPLES) continue;
    if (c.op === "remove") {
      const p = removedPeople.get(c.id)!;
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

  const schoolById = new Map(schools.map((s) => [s.id, s]));
  const schoolChanges = { add: [] as string[], update: [] as string[] };
  for (const s of roster.schools) {
    const had = schoolById.get(s.id);
    if (!had) schoolChanges.add.push(s.name);
    else if (had.name !== s.name) schoolChanges.update.push(s.name);
  }
  const calendarChanges = { add: [] as string[], update: [] as string[] };
  for (const cal of roster.calendars) {
    const had = await getCalendar(db, cal.id);
    if (!had) calendarChanges.add.push(cal.name);
    else if (had.name !== cal.name || had.startDate !== cal.startDate || had.endDate !== cal.endDate) {
      calendarChanges.update.push(cal.name);
    }
  }

  await deletePrefix(db, changePrefix(db, id));
  await deletePrefix(db, problemPrefix(db, id));
  // Applied in sourcedId order, not the file's: then a 50-person commit writes neighbouring person and
  // roster_hash keys, a few B-tree pages of the KV file instead of one page per key: 134,000 people
  // apply in about 45 s instead of 65 s (bench/roster_bench.ts). The samples keep the file's order.
  const changeChunks = await chunked([...changes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), slice);
  await writeChunks(db, changePrefix(db, id), changeChunks, slice);
  await writeChunks(db, problemPrefix(db, id), await chunked(roster.problems, slice), slice);
  // Schools and calendars (a few hundred at most) in one value beside the changes.
  await db.kv.set([db.districtId, "roster_orgs", id], { schools: roster.schools, calendars: roster.calendars });
  const existing = [...hashes.values()].filter((h) => h !== "-").length;
  const next = await updateImport(db, id, (i) => ({
    ...i,
    status: "ready",
    summary: {
      modes: roster.modes,
      rows: roster.counts.rows,
      roles: roster.counts.roles,
      ...counts,
      unchanged,
      skipped: roster.badPeople.size,
      schools: schoolChanges,
      calendars: calendarChanges,
      classes: roster.counts.classes,
      enrollments: roster.counts.enrollments,
      problems: roster.problems.length,
      samples,
      existing,
    },
    changeChunks: changeChunks.length,
    progress: { done: 0, total: changes.length },
  }));
  await deletePrefix(db, blobPrefix(db, id));
  return next;
}

/** Every problem row of an import, in file and line order, chunk by chunk. */
export async function* problemsOf(db: Db, id: string): AsyncGenerator<Problem> {
  for await (const e of db.kv.list<Problem[]>({ prefix: problemPrefix(db, id) })) yield* e.value;
}

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
  const state = await db.kv.get<{ applying?: string }>(stateKey(db));
  if (state.value?.applying) return "busy";
  if (state.versionstamp !== current.value.basis) return "stale";
  const op = db.kv.atomic().check({ key: importKey(db, id), versionstamp: current.versionstamp }).check(state)
    .set(stateKey(db), { applying: id })
    .set(importKey(db, id), RosterImport.parse({ ...current.value, status: "applying", applied: by, ...opts }));
  stage?.(op);
  return (await op.commit()).ok ? "started" : "stale";
}

/** Reads people with their versionstamps, ten keys a read. */
async function readPeople(db: Db, ids: string[]): Promise<Map<string, Deno.KvEntryMaybe<Person>>> {
  const got = await getManyAll<Person>(db, ids.map((p) => [db.districtId, "person", p]));
  return new Map(got.map((e) => [e.key[2] as string, e]));
}

/** Writes one batch of changes; a batch that races a family's save is read again and retried. */
async function applyBatch(db: Db, batch: Change[], at: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const people = await readPeople(db, batch.map((c) => c.id));
    const hashes = await getManyAll<string>(db, batch.map((c) => hashKey(db, c.id)));
    const op = db.kv.atomic();
    batch.forEach((c, i) => {
      if (hashes[i].value === c.hash) return; // already written (a re-run after a crash)
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
      op.set(hashKey(db, c.id), c.hash);
    });
    if ((await op.commit()).ok) return;
  }
  throw new Error("roster apply: people kept changing under one batch ten times in a row");
}

/** A chunk's changes in commits of at most PEOPLE_PER_COMMIT people and COMMIT_BYTES. */
function batches(chunk: Change[]): Change[][] {
  const out: Change[][] = [];
  let current: Change[] = [];
  let bytes = 0;
  for (const c of chunk) {
    // A removal rewrites the stored record once; the preview keeps records within MAX_PERSON_BYTES.
    const n = c.roster ? recordBytes(c.roster) * (1 + c.roster.schoolIds.length) : MAX_PERSON_BYTES;
    if (current.length === PEOPLE_PER_COMMIT || (current.length > 0 && bytes + n > COMMIT_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(c);
    bytes += n;
  }
  if (current.length > 0) out.push(current);
  return out;
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
  if (from === 0) {
    const orgs = (await db.kv.get<{ schools: { id: string; name: string }[]; calendars: RosterCalendar[] }>(
      [db.districtId, "roster_orgs", id],
    )).value;
    for (const s of orgs?.schools ?? []) await saveSchool(db, s);
    for (const cal of orgs?.calendars ?? []) {
      const had = await getCalendar(db, cal.id);
      await saveCalendar(db, { ...cal, noSchoolDays: had?.noSchoolDays ?? [] });
    }
  }
  let done = 0;
  for (let n = 0; n < from; n++) {
    done += ((await db.kv.get<Change[]>([...changePrefix(db, id), n])).value ?? []).length;
  }
  for (let n = from; n < current.value.changeChunks; n++) {
    const chunk = (await db.kv.get<Change[]>([...changePrefix(db, id), n])).value ?? [];
    const at = now();
    for (const batch of batches(chunk)) await applyBatch(db, batch, at);
    done += chunk.length;
    await updateImport(db, id, (i) => ({ ...i, progress: { ...i.progress, done } }));
    if (onChunk && !(await onChunk(n + 1))) throw new LeaseLost("roster apply: lost the job's lease");
  }
  const finished = await updateImport(db, id, (i) => ({ ...i, status: "applied", finishedAt: now() }));
  await db.kv.set(stateKey(db), { last: id, at: now() });
  await deletePrefix(db, changePrefix(db, id));
  return finished;
}

/** Drops a previewed import that will not be applied. */
export async function discardImport(db: Db, id: string): Promise<boolean> {
  const current = await getImport(db, id);
  if (!current || !["ready", "failed", "previewing"].includes(current.value.status)) return false;
  if (!(await putImport(db, current, { ...current.value, status: "discarded" }))) return false;
  await deletePrefix(db, changePrefix(db, id));
  await deletePrefix(db, blobPrefix(db, id));
  return true;
}

/** Marks an import failed with a reason support can read (the preview or apply threw). */
export async function failImport(db: Db, id: string, error: string): Promise<void> {
  const reason = error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error;
  await updateImport(db, id, (i) => ({ ...i, status: "failed", error: reason }));
  const state = await db.kv.get<{ applying?: string }>(stateKey(db));
  if (state.value?.applying === id) await db.kv.atomic().check(state).delete(stateKey(db)).commit();
}

/**
 * Preview and apply in one go, for seeding (the demo district) and tests:
 * the same path an administrator's upload takes, without the pause to confirm.
 */
export async function importNow(
  db: Db,
  uploads: UploadedFile[],
  by: Stamp,
  opts: ParseOptions & { skipProblems?: boolean; now?: () => string } = {},
): Promise<RosterImport> {
  const created = await createImport(db, uploads, by);
  await buildPreview(db, created.id, opts);
  const started = await startApply(db, created.id, by, { skipProblems: opts.skipProblems ?? false });
  if (started !== "started") throw new Error(`roster import ${created.id} could not be applied: ${started}`);
  return await applyImport(db, created.id, opts.now ?? (() => new Date().toISOString()));
}

/** Imports are kept this long (their summary and problem rows), then pruned by the daily retention cron. */
export const KEEP_IMPORTS_DAYS = 180;

/** Deletes finished imports older than `keepDays`, with their problem rows; the last applied one always stays. */
export async function pruneImports(db: Db, now: number, keepDays = KEEP_IMPORTS_DAYS): Promise<number> {
  const cutoff = new Date(now - keepDays * 86_400_000).toISOString();
  const last = (await db.kv.get<{ last?: string }>(stateKey(db))).value?.last;
  let pruned = 0;
  for await (const e of db.kv.list({ prefix: [db.districtId, "roster_import"] })) {
    const i = RosterImport.parse(e.value);
    if (i.created.at >= cutoff || i.id === last || i.status === "previewing" || i.status === "applying") continue;
    for (const prefix of [problemPrefix(db, i.id), changePrefix(db, i.id), blobPrefix(db, i.id)]) {
      await deletePrefix(db, prefix);
    }
    await db.kv.atomic().check(e).delete(e.key).delete([db.districtId, "roster_orgs", i.id]).commit();
    pruned++;
  }
  return pruned;
}
