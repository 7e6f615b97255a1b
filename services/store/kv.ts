/**
 * The KV conventions every entity module follows: keys start with the
 * district id; an entity and all its secondary indexes are written in one
 * atomic operation checked against the versionstamp that was read, so
 * indexes never drift from the record.
 */
import { z } from "zod";

export interface Db {
  kv: Deno.Kv;
  districtId: string;
}

export interface Versioned<T> {
  value: T;
  versionstamp: string;
}

export interface IndexEntry {
  key: Deno.KvKey;
  value: unknown;
}

export interface EntityDef<T> {
  schema: z.ZodType<T>;
  key(db: Db, value: T): Deno.KvKey;
  indexes(db: Db, value: T): IndexEntry[];
}

/** Thrown when a record changed between read and write. */
export class ConflictError extends Error {
  constructor(message = "the record was changed by someone else") {
    super(message);
    this.name = "ConflictError";
  }
}

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** A 12-character Crockford base32 id: short enough to read out on the phone. */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let out = "";
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

export async function getEntity<T>(
  db: Db,
  schema: z.ZodType<T>,
  key: Deno.KvKey,
): Promise<Versioned<T> | null> {
  const entry = await db.kv.get(key);
  if (entry.value === null || entry.versionstamp === null) return null;
  return { value: schema.parse(entry.value), versionstamp: entry.versionstamp };
}

function keyString(key: Deno.KvKey): string {
  return JSON.stringify(
    key.map((
      p,
    ) => (typeof p === "bigint" ? `${p}n` : p instanceof Uint8Array ? [...p] : p)),
  );
}

/**
 * Adds to `op` the writes that replace `previous` (or nothing) by `next`
 * (or nothing), with the check that `previous` is still current.
 */
export function stageEntity<T>(
  op: Deno.AtomicOperation,
  db: Db,
  def: EntityDef<T>,
  previous: Versioned<T> | null,
  next: T | null,
): Deno.AtomicOperation {
  const base = previous?.value ?? next;
  if (base === null) {
    throw new Error("stageEntity needs a previous or a next value");
  }
  const primary = def.key(db, base);
  op.check({ key: primary, versionstamp: previous?.versionstamp ?? null });
  const nextIndexes = next === null ? [] : def.indexes(db, next);
  const kept = new Set(nextIndexes.map((i) => keyString(i.key)));
  if (previous) {
    for (const old of def.indexes(db, previous.value)) {
      if (!kept.has(keyString(old.key))) op.delete(old.key);
    }
  }
  if (next === null) {
    op.delete(primary);
  } else {
    op.set(def.key(db, next), def.schema.parse(next));
    for (const index of nextIndexes) op.set(index.key, index.value);
  }
  return op;
}

/** Writes one entity change atomically; ConflictError if it moved meanwhile. */
export async function saveEntity<T>(
  db: Db,
  def: EntityDef<T>,
  previous: Versioned<T> | null,
  next: T | null,
): Promise<string> {
  const result = await stageEntity(db.kv.atomic(), db, def, previous, next)
    .commit();
  if (!result.ok) throw new ConflictError();
  return result.versionstamp;
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the following page; absent on the last page. */
  next?: string;
  /** The page stopped at the scan limit before it was full: more may match. */
  partial?: boolean;
}

/** A page link's cursor that KV does not recognise: edited by hand, or from before the index changed. */
export class StaleCursor extends Error {
  constructor() {
    super("That page link is out of date: start again from the first page.");
    this.name = "StaleCursor";
  }
}

/** A page link's `cursor` as a query parameter: KV's own cursors are base64url, short, and may end in "=" padding. */
export const PageCursor = z.string().max(500, "That page link is not one of ours: start again from the first page.")
  .regex(/^[0-9A-Za-z_-]*={0,2}$/, "That page link is not one of ours: start again from the first page.").default("");

/** At most this many index entries are read for one filtered page. */
export const MAX_SCAN = 2000;

/**
 * One page from an index, filtering as it reads: only as many entries as
 * it takes to fill the page are read, never the whole index, and never more
 * than `maxScan` (a rare filter answers with a partial page and a cursor).
 */
export async function listPage<T>(
  db: Db,
  prefix: Deno.KvKey,
  schema: z.ZodType<T>,
  opts: {
    limit: number;
    cursor?: string;
    reverse?: boolean;
    filter?: (v: T) => boolean;
    maxScan?: number;
    /** Only keys whose next part (after the prefix) is in [from, to): a time range on a time-ordered index. */
    range?: [number, number];
  },
): Promise<Page<T>> {
  const selector = opts.range ? { start: [...prefix, opts.range[0]], end: [...prefix, opts.range[1]] } : { prefix };
  const iter = db.kv.list(selector, {
    cursor: opts.cursor || undefined,
    reverse: opts.reverse,
    batchSize: Math.min(500, opts.limit + 1),
  });
  const items: T[] = [];
  const maxScan = opts.maxScan ?? MAX_SCAN;
  let lastCursor = "";
  let scanned = 0;
  try {
    for await (const entry of iter) {
      const value = schema.parse(entry.value);
      if (opts.filter && !opts.filter(value)) {
        if (++scanned >= maxScan) return { items, next: iter.cursor, partial: true };
        continue;
      }
      scanned++;
      if (items.length === opts.limit) return { items, next: lastCursor };
      items.push(value);
      lastCursor = iter.cursor;
    }
  } catch (e) {
    // KV refuses a cursor that is not one of its own with a TypeError.
    if (opts.cursor && e instanceof TypeError && /cursor/i.test(e.message)) throw new StaleCursor();
    throw e;
  }
  return { items };
}

export async function listAll<T>(
  db: Db,
  prefix: Deno.KvKey,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const out: T[] = [];
  for await (const entry of db.kv.list({ prefix }, { batchSize: 500 })) {
    out.push(schema.parse(entry.value));
  }
  return out;
}

/** `getMany` for any number of keys: KV reads ten keys at a time, so the reads go out in parallel tens. */
export async function getManyAll<T>(db: Db, keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<T>[]> {
  const reads: Promise<Deno.KvEntryMaybe<T>[]>[] = [];
  for (let i = 0; i < keys.length; i += 10) reads.push(db.kv.getMany<T[]>(keys.slice(i, i + 10)));
  return (await Promise.all(reads)).flat();
}

/** Deletes every key under `prefix`, 500 a commit: within KV's 1,000 mutations a commit. */
export async function deletePrefix(db: Db, prefix: Deno.KvKey): Promise<void> {
  let op = db.kv.atomic();
  let n = 0;
  for await (const e of db.kv.list({ prefix }, { batchSize: 500 })) {
    op.delete(e.key);
    if (++n % 500 === 0) {
      await op.commit();
      op = db.kv.atomic();
    }
  }
  await op.commit();
}

/** One value again from the chunks it was stored in: KV holds at most 64 KiB a value. */
export function joinChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
