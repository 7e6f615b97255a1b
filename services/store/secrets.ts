/** The district's secrets, made in KV on first use: today the key that signs preferences links. */
import type { Db } from "./kv.ts";

const preferencesSecretKey = (db: Db): Deno.KvKey => [db.districtId, "secret", "preferences"];

/** The stored secret as it is (anything, if KV was edited by hand); null before the first. */
export async function getPreferencesSecret(db: Db): Promise<unknown> {
  return (await db.kv.get(preferencesSecretKey(db))).value;
}

/** Stores the first secret; false when another instance stored one first. */
export async function createPreferencesSecret(db: Db, secret: Uint8Array): Promise<boolean> {
  const key = preferencesSecretKey(db);
  return (await db.kv.atomic().check({ key, versionstamp: null }).set(key, secret).commit()).ok;
}
