/**
 * Deliveries: one recipient × device × mode within a run. Each state change
 * is one versionstamp-checked write that also moves the run's per-mode
 * counters (KV sums: no read-modify-write of a hot run record), so counts
 * never drift from the deliveries and two workers never both advance one.
 */
import { z } from "zod";
import { type DeliveryResult, Mode, type ModeCounts, RecipientType } from "../model.ts";
import { Buffer } from "node:buffer";
import { type Db, deletePrefix, listPage, type Page, type Versioned } from "./kv.ts";

export const DeliveryState = z.enum(["pending", "sending", "sent", "delivered", "failed", "canceled", "redial"]);
export type DeliveryState = z.infer<typeof DeliveryState>;

/** Who or what a call reached: from Twilio's AnsweredBy and CallStatus ("unknown": answered, AMD could not tell). */
export const CallResult = z.enum(["human", "machine", "unknown", "no-answer", "busy"]);
export type CallResult = z.infer<typeof CallResult>;

export const Delivery = z.object({
  id: z.string(),
  runId: z.string(),
  mode: Mode,
  personId: z.string(),
  name: z.string(),
  as: RecipientType,
  studentIds: z.array(z.string()),
  deviceId: z.string().optional(),
  address: z.string().optional(),
  state: DeliveryState,
  attempts: z.number().int().nonnegative(),
  providerId: z.string().optional(),
  providerStatus: z.string().optional(),
  errorCode: z.string().optional(),
  error: z.string().optional(),
  /** When a retry or redial may start. */
  notBefore: z.number().optional(),
  /** Inbox only: when the family first opened it. Not a state: read never moves a delivery. */
  readAt: z.number().optional(),
  /** Email only, from the provider's events (Mailgun): the first open and the first click. Facts, not states. */
  openedAt: z.number().optional(),
  clickedAt: z.number().optional(),
  /** Voice only: the latest call's result (a redial replaces it). */
  callResult: CallResult.optional(),
  /**
   * The language this copy is in (an IETF tag: one of the message's
   * languages, or the district's), chosen at Processing; none on deliveries
   * written before messages had languages, which all went in the default.
   */
  language: z.string().optional(),
  /** Why the copy is not in the recipient's language after all: "read in English: Twilio has no Somali voice". */
  languageNote: z.string().optional(),
  /** Text only: the segments the text was sent in (the carrier bills each), counted on its language's text. */
  segments: z.number().int().nonnegative().optional(),
  updatedAt: z.number(),
  history: z.array(z.object({ at: z.number(), state: DeliveryState, detail: z.string().optional() })),
});
export type Delivery = z.infer<typeof Delivery>;

/** Names one delivery: its run, its mode and its id. */
export type DeliveryRef = { runId: string; mode: Mode; id: string };

/** Sending is still pending to the person reading the counts. */
export function countedAs(state: DeliveryState): DeliveryResult {
  return state === "sending" ? "pending" : state;
}

const ONE = new Deno.KvU64(1n);

/** A run's deliveries, or only one mode's: in KV's order of their ids. */
const deliveriesPrefix = (db: Db, runId: string, mode?: Mode): Deno.KvKey =>
  mode ? [db.districtId, "delivery", runId, mode] : [db.districtId, "delivery", runId];

export const deliveryKey = (db: Db, runId: string, mode: Mode, id: string): Deno.KvKey => [
  ...deliveriesPrefix(db, runId, mode),
  id,
];
const countKey = (db: Db, runId: string, mode: Mode, result: DeliveryResult): Deno.KvKey => [
  db.districtId,
  "run_count",
  runId,
  mode,
  result,
];

/**
 * Adds a new delivery and its count to an atomic operation. No per-delivery
 * check (KV allows 100 checks a commit): the caller's check on its job
 * record makes each batch of new deliveries land exactly once.
 */
export function stageNewDelivery(op: Deno.AtomicOperation, db: Db, d: Delivery): Deno.AtomicOperation {
  const key = deliveryKey(db, d.runId, d.mode, d.id);
  return op.set(key, d).sum(countKey(db, d.runId, d.mode, countedAs(d.state)), ONE.value);
}

export async function getDelivery(db: Db, runId: string, mode: Mode, id: string): Promise<Versioned<Delivery> | null> {
  const entry = await db.kv.get(deliveryKey(db, runId, mode, id));
  return entry.versionstamp ? { value: Delivery.parse(entry.value), versionstamp: entry.versionstamp } : null;
}

/**
 * Moves a delivery to its next state if nobody else moved it since it was
 * read. Returns the new versioned delivery, or null when it lost the race.
 */
export async function advanceDelivery(
  db: Db,
  current: Versioned<Delivery>,
  next: Delivery,
  op: Deno.AtomicOperation = db.kv.atomic(),
): Promise<Versioned<Delivery> | null> {
  return (await advanceDeliveries(db, [{ current, next }], op))?.[0] ?? null;
}

/**
 * KV allows 100 checks a commit: a batch claims or records at most this many
 * deliveries, leaving room for the job check that rides along.
 */
export const MAX_BATCH = 90;

/**
 * Moves several deliveries in one commit, each checked against the
 * versionstamp it was read with, their counters summed per result: all of
 * them move, or (when any one was moved by someone else meanwhile) none.
 * Returns them as stored, or null when the commit lost a race.
 */
export async function advanceDeliveries(
  db: Db,
  moves: { current: Versioned<Delivery>; next: Delivery }[],
  op: Deno.AtomicOperation = db.kv.atomic(),
): Promise<Versioned<Delivery>[] | null> {
  if (moves.length > MAX_BATCH) throw new Error(`at most ${MAX_BATCH} deliveries a commit, not ${moves.length}`);
  const sums = new Map<string, { key: Deno.KvKey; n: bigint }>();
  const add = (key: Deno.KvKey, n: bigint) => {
    const id = JSON.stringify(key);
    sums.set(id, { key, n: (sums.get(id)?.n ?? 0n) + n });
  };
  for (const { current, next } of moves) {
    const d = current.value;
    const key = deliveryKey(db, d.runId, d.mode, d.id);
    op.check({ key, versionstamp: current.versionstamp }).set(key, Delivery.parse(next));
    const from = countedAs(d.state);
    const to = countedAs(next.state);
    if (from !== to) {
      add(countKey(db, d.runId, d.mode, from), -1n);
      add(countKey(db, d.runId, d.mode, to), 1n);
    }
  }
  // KvU64 sums wrap around at 2^64: a negative count is added as its complement.
  for (const { key, n } of sums.values()) if (n !== 0n) op.sum(key, BigInt.asUintN(64, n));
  const result = await op.commit();
  return result.ok ? moves.map(({ next }) => ({ value: next, versionstamp: result.versionstamp })) : null;
}

/** A run's read counter: only inbox deliveries are read, so one number a run. */
const readCountKey = (db: Db, runId: string): Deno.KvKey => [db.districtId, "run_read", runId];

/**
 * Marks a delivered inbox delivery read, checked against the versionstamp it
 * was read with, and counts it in the same commit. "already" when it was
 * read before (nothing changes), "not-delivered" while it is still on its
 * way, null when another commit moved it first (read it again and retry).
 */
export async function markDeliveryRead(
  db: Db,
  current: Versioned<Delivery>,
  at: number,
  op: Deno.AtomicOperation = db.kv.atomic(),
): Promise<"read" | "already" | "not-delivered" | null> {
  const d = current.value;
  if (d.readAt !== undefined) return "already";
  if (d.mode !== "inbox" || d.state !== "delivered") return "not-delivered";
  const key = deliveryKey(db, d.runId, d.mode, d.id);
  const result = await op.check({ key, versionstamp: current.versionstamp })
    .set(key, { ...d, readAt: at })
    .sum(readCountKey(db, d.runId), ONE.value)
    .commit();
  return result.ok ? "read" : null;
}

/** How many of a run's inbox deliveries have been read. */
export async function runReadCount(db: Db, runId: string): Promise<number> {
  return Number((await db.kv.get<Deno.KvU64>(readCountKey(db, runId))).value?.value ?? 0n);
}

/** A run's email facts from the provider's events (Mailgun): emails a family opened, and emails that bounced. */
const emailFactKey = (db: Db, runId: string, fact: keyof EmailFacts): Deno.KvKey => [
  db.districtId,
  "run_email",
  runId,
  fact,
];

export interface EmailFacts {
  opened: number;
  bounced: number;
}

/**
 * Records an email's first open (a click is an open too) and its first
 * click, checked against the versionstamp it was read with; the first open
 * is counted in the same commit. "already" when there is nothing new, null
 * when another commit moved it first (read it again and retry).
 */
export async function markEmailOpened(
  db: Db,
  current: Versioned<Delivery>,
  at: number,
  clicked: boolean,
  op: Deno.AtomicOperation = db.kv.atomic(),
): Promise<"marked" | "already" | null> {
  const d = current.value;
  const next = { ...d, openedAt: d.openedAt ?? at, clickedAt: clicked ? d.clickedAt ?? at : d.clickedAt };
  if (next.openedAt === d.openedAt && next.clickedAt === d.clickedAt) return "already";
  const key = deliveryKey(db, d.runId, d.mode, d.id);
  op.check({ key, versionstamp: current.versionstamp }).set(key, next);
  if (d.openedAt === undefined) op.sum(emailFactKey(db, d.runId, "opened"), ONE.value);
  return (await op.commit()).ok ? "marked" : null;
}

/** Counts a bounce in the commit that fails its email. */
export function stageBounceCount(op: Deno.AtomicOperation, db: Db, runId: string): Deno.AtomicOperation {
  return op.sum(emailFactKey(db, runId, "bounced"), ONE.value);
}

/** How many of a run's emails were opened and bounced, as far as the provider could tell. */
export async function runEmailFacts(db: Db, runId: string): Promise<EmailFacts> {
  const facts: EmailFacts = { opened: 0, bounced: 0 };
  for await (const e of db.kv.list<Deno.KvU64>({ prefix: [db.districtId, "run_email", runId] })) {
    facts[e.key[3] as keyof EmailFacts] = Number(e.value.value);
  }
  return facts;
}

/** What families did with a run's messages, beside the delivery states: inbox reads, email opens and bounces. */
export interface RunFacts extends EmailFacts {
  read: number;
}

export async function runFacts(db: Db, runId: string): Promise<RunFacts> {
  const [read, email] = await Promise.all([runReadCount(db, runId), runEmailFacts(db, runId)]);
  return { read, ...email };
}

/** A state change with its history line (the last 20 kept). */
export function moved(d: Delivery, state: DeliveryState, at: number, detail?: string, extra: Partial<Delivery> = {}) {
  return { ...d, ...extra, state, updatedAt: at, history: [...d.history, { at, state, detail }].slice(-20) };
}

/**
 * A send shard: the deliveries of one mode whose ids lie in [from, to) in
 * KV's order; "" leaves that end open.
 */
export interface Shard {
  from: string;
  to: string;
}

function selector(prefix: Deno.KvKey, shard?: Shard): Deno.KvListSelector {
  if (!shard || (!shard.from && !shard.to)) return { prefix };
  if (shard.from && shard.to) return { start: [...prefix, shard.from], end: [...prefix, shard.to] };
  return shard.from ? { prefix, start: [...prefix, shard.from] } : { prefix, end: [...prefix, shard.to] };
}

/** A run's deliveries (one mode's, one shard's), read `batchSize` at a time. */
export async function* deliveriesOf(
  db: Db,
  runId: string,
  mode?: Mode,
  shard?: Shard,
  batchSize = 500,
): AsyncGenerator<Versioned<Delivery>> {
  const prefix = deliveriesPrefix(db, runId, mode);
  for await (const e of db.kv.list(selector(prefix, mode ? shard : undefined), { batchSize })) {
    yield { value: Delivery.parse(e.value), versionstamp: e.versionstamp };
  }
}

/** A page of a run's deliveries (one mode's), filtered as it is read. */
export function deliveryPage(
  db: Db,
  runId: string,
  mode: Mode | undefined,
  opts: { limit: number; cursor?: string; filter?: (d: Delivery) => boolean },
): Promise<Page<Delivery>> {
  return listPage(db, deliveriesPrefix(db, runId, mode), Delivery, opts);
}

/** KV orders string key parts by their UTF-8 bytes; JavaScript's `<` by UTF-16 units, which differs past U+FFFF. */
export function kvOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Cuts one mode's delivery ids into shards of about `size`, covering every
 * id exactly once whatever the ids: the cuts are sorted in KV's own order,
 * and the first and last shards are open-ended.
 */
export function shardsOf(ids: string[], size: number): Shard[] {
  const cuts = [...new Set(ids.filter((_, i) => i > 0 && i % size === 0))].sort(kvOrder);
  const bounds = ["", ...cuts, ""];
  return bounds.slice(0, -1).map((from, i) => ({ from, to: bounds[i + 1] }));
}

export async function runCounts(db: Db, runId: string): Promise<Partial<Record<Mode, ModeCounts>>> {
  const out: Partial<Record<Mode, ModeCounts>> = {};
  for await (const e of db.kv.list<Deno.KvU64>({ prefix: [db.districtId, "run_count", runId] })) {
    const [, , , mode, result] = e.key as [string, string, string, Mode, DeliveryResult];
    const counts: ModeCounts = out[mode] ??= {};
    counts[result] = Number(e.value.value);
  }
  return out;
}

/** Deletes a run's deliveries and counters, in commits within KV's limits. */
export async function deleteRunDeliveries(db: Db, runId: string): Promise<void> {
  await deletePrefix(db, deliveriesPrefix(db, runId));
  await deletePrefix(db, [db.districtId, "run_count", runId]);
  await db.kv.delete(readCountKey(db, runId));
  await deletePrefix(db, [db.districtId, "run_email", runId]);
}

/** Sets a run's counters outright (the demo's illustrative runs, which have no deliveries). */
export async function setRunCounts(db: Db, runId: string, counts: Partial<Record<Mode, ModeCounts>>) {
  const op = db.kv.atomic();
  for (const [mode, byResult] of Object.entries(counts) as [Mode, ModeCounts][]) {
    for (const [result, n] of Object.entries(byResult) as [DeliveryResult, number][]) {
      op.set(countKey(db, runId, mode, result), new Deno.KvU64(BigInt(n)));
    }
  }
  await op.commit();
}
