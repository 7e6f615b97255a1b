/**
 * The district's secrets, made in KV on first use: the key that signs
 * preferences links, and the one that signs unsubscribe links. Each is its
 * own, so revoking one kind of link (deleting its key) leaves the other
 * working.
 */
import type { Db } from "./kv.ts";

export type SecretName = "preferences" | "unsubscribe";

const secretKey = (db: Db, name: SecretName): Deno.KvKey => [db.districtId, "secret", name];

/** The stored secret as it is (anything, if KV was edited by hand); null before the first. */
export async function getSecret(db: Db, name: SecretName): Promise<unknown> {
  return (await db.kv.get(secretKey(db, name))).value;
}

/** Stores the first secret; false when another instance stored one first. */
export async function createSecret(db: Db, name: SecretName, secret: Uint8Array): Promise<boolean> {
  const key = secretKey(db, name);
  return (await db.kv.atomic().check({ key, versionstamp: null }).set(key, secret).commit()).ok;
}

/**
 * The secret, made on first use. The create is checked against "no value
 * yet", so two instances starting at once agree on one.
 */
export async function districtSecret(db: Db, name: SecretName): Promise<Uint8Array> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await getSecret(db, name);
    if (stored instanceof Uint8Array && stored.length === 32) return stored;
    if (stored !== null) throw new Error(`the ${name} link secret in KV is not 32 bytes`);
    const fresh = crypto.getRandomValues(new Uint8Array(32));
    if (await createSecret(db, name, fresh)) return fresh;
  }
  throw new Error(`could not create the ${name} link secret`);
}
