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
}

const EARLY_STATUS_TTL_MS = 60 * 60_000;

const earlyKey = (db: Db, ref: DeliveryRef): Deno.KvKey => [db.districtId, "early_status", ref.runId, ref.mode, ref.id];

/**
 * Keeps a callback for a delivery as read: false when the delivery moved
 * meanwhile (its record landed, and has already looked for early statuses).
 */
export async function keepEarlyStatus(db: Db, current: Versioned<Delivery>, status: EarlyStatus): Promise<boolean> {
  const d = current.value;
  const kept = await db.kv.atomic()
    .check({ key: deliveryKey(db, d.runId, d.mode, d.id), versionstamp: current.versionstamp })
    .set(earlyKey(db, d), status, { expireIn: EARLY_STATUS_TTL_MS })
    .commit();
  return kept.ok;
}

/** The kept callbacks of these deliveries, in their order; null where none came early. */
export async function getEarlyStatuses(db: Db, refs: DeliveryRef[]): Promise<(EarlyStatus | null)[]> {
  return (await getManyAll<EarlyStatus>(db, refs.map((ref) => earlyKey(db, ref)))).map((e) => e.value);
}

export async function deleteEarlyStatus(db: Db, ref: DeliveryRef): Promise<void> {
  await db.kv.delete(earlyKey(db, ref));
}
