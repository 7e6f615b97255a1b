/**
 * Status callbacks that came before the send they report on was recorded,
 * kept (for an hour at most) until it is.
 */
import type { Delivery } from "./deliveries.ts";
import { deliveryKey, type DeliveryRef } from "./deliveries.ts";
import { type Db, getManyAll, type Versioned } from "./kv.ts";

export interface EarlyStatus {
  sid: string;
  status: string;
  errorCode?: string;
  /** An email event's reason in the provider's words. */
  detail?: string;
  /** A call's AnsweredBy (Twilio's TwiML request). */
  answeredBy?: string;
}

const EARLY_STATUS_TTL_MS = 60 * 60_000;

const earlyKey = (db: Db, ref: DeliveryRef): Deno.KvKey => [db.districtId, "early_status", ref.runId, ref.mode, ref.id];

/**
 * Keeps a callback for a delivery as read, after any kept before it (an
 * email's delivered and then opened can both come early): false when the
 * delivery moved meanwhile (its record landed, and has already looked for
 * early statuses) or another callback was kept at the same moment.
 */
export async function keepEarlyStatus(db: Db, current: Versioned<Delivery>, status: EarlyStatus): Promise<boolean> {
  const d = current.value;
  const key = earlyKey(db, d);
  const kept = await db.kv.get<EarlyStatus | EarlyStatus[]>(key);
  const saved = await db.kv.atomic()
    .check({ key: deliveryKey(db, d.runId, d.mode, d.id), versionstamp: current.versionstamp })
    .check(kept)
    .set(key, [...asList(kept.value), status], { expireIn: EARLY_STATUS_TTL_MS })
    .commit();
  return saved.ok;
}

/** One kept callback was stored alone before several could be kept. */
const asList = (v: EarlyStatus | EarlyStatus[] | null): EarlyStatus[] => v === null ? [] : Array.isArray(v) ? v : [v];

/** The kept callbacks of these deliveries, in their order, each in the order they came. */
export async function getEarlyStatuses(db: Db, refs: DeliveryRef[]): Promise<EarlyStatus[][]> {
  return (await getManyAll<EarlyStatus | EarlyStatus[]>(db, refs.map((ref) => earlyKey(db, ref))))
    .map((e) => asList(e.value));
}

export async function deleteEarlyStatus(db: Db, ref: DeliveryRef): Promise<void> {
  await db.kv.delete(earlyKey(db, ref));
}
