/**
 * The preview of an import: parse and check the stored files; compare every
 * good row with the hash of what the last import wrote for that sourcedId;
 * store the changes (add / update / remove) and the problem rows in chunks;
 * status "ready". Nothing about people has changed yet. Re-importing the
 * same files finds every hash equal: nothing to change.
 */
import type { Person, School } from "../model.ts";
import { getCalendar, listSchools } from "../store/district.ts";
import type { Db } from "../store/kv.ts";
import { getPeople } from "../store/people.ts";
import {
  type Change,
  deletePreview,
  deleteUploadedFiles,
  getImport,
  type KindCounts,
  loadAppliedHashes,
  loadUploadedFiles,
  type RosterImport,
  savePreview,
  updateImport,
} from "../store/roster_imports.ts";
import { slicer } from "./csv.ts";
import { LeaseLost } from "./lease.ts";
import { type ParsedRoster, type ParseOptions, parseRoster } from "./oneroster.ts";
import { Packer } from "./packing.ts";
import { previewSamples } from "./preview_samples.ts";
import { rosterHash } from "./roster_person.ts";

/** JSON characters per change or problem chunk: under KV's 64 KiB a value. */
const CHUNK_CHARS = 40_000;

const zero = (): KindCounts => ({ student: 0, guardian: 0, staff: 0 });

/** Groups items into arrays of at most CHUNK_CHARS of JSON each. */
async function chunked<T>(items: Iterable<T>, slice: () => Promise<void>): Promise<T[][]> {
  const packer = new Packer<T>(CHUNK_CHARS);
  for (const item of items) {
    await slice();
    packer.add(item, JSON.stringify(item).length);
  }
  return packer.done();
}

/** The people to add, update and remove, counted by kind; removals need the stored record. */
async function findChanges(db: Db, roster: ParsedRoster, hashes: Map<string, string>, slice: () => Promise<void>) {
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
  const removed = await getPeople(db, removals);
  for (const pid of removals) {
    const p = removed.get(pid);
    if (!p) continue;
    counts.remove[p.kind]++;
    changes.push({ op: "remove", id: pid, hash: "-" });
  }
  return { changes, counts, unchanged, removed };
}

/** The names of the schools and calendars the import adds or renames. */
async function orgChanges(db: Db, roster: ParsedRoster, schools: School[]) {
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
  return { schools: schoolChanges, calendars: calendarChanges };
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
  const files = await loadUploadedFiles(db, id, slice);
  const schools = await listSchools(db);
  const roster = await parseRoster({ files, ignored: current.value.ignored }, {
    ...opts,
    slice,
    knownSchools: new Set(schools.map((s) => s.id)),
    knownPeople: async (ids) =>
      new Map([...await getPeople(db, ids)].map(([pid, p]): [string, Person["kind"]] => [pid, p.kind])),
  });
  const hashes = await loadAppliedHashes(db, slice);
  const { changes, counts, unchanged, removed } = await findChanges(db, roster, hashes, slice);
  const samples = await previewSamples(db, changes, removed);
  const orgs = await orgChanges(db, roster, schools);

  await deletePreview(db, id);
  // Applied in sourcedId order, not the file's: then a 50-person commit writes neighbouring person and
  // roster_hash keys, a few B-tree pages of the KV file instead of one page per key: 134,000 people
  // apply in about 45 s instead of 65 s (bench/roster_bench.ts). The samples keep the file's order.
  const changeChunks = await chunked([...changes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), slice);
  const problemChunks = await chunked(roster.problems, slice);
  await savePreview(db, id, {
    changeChunks,
    problemChunks,
    orgs: { schools: roster.schools, calendars: roster.calendars },
  }, slice);
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
      ...orgs,
      classes: roster.counts.classes,
      enrollments: roster.counts.enrollments,
      problems: roster.problems.length,
      samples,
      existing,
    },
    changeChunks: changeChunks.length,
    progress: { done: 0, total: changes.length },
  }));
  await deleteUploadedFiles(db, id);
  return next;
}
