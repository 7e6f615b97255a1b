/**
 * Failed sign-ins, counted twice: per login and client address, and per
 * login from every address. Both counts are read and written together.
 */
import type { Db } from "./kv.ts";

const failuresKey = (db: Db, login: string, client?: string): Deno.KvKey =>
  client === undefined
    ? [db.districtId, "sign_in_failures", login, "all"]
    : [db.districtId, "sign_in_failures", login, "client", client.slice(0, 100)];

/** The pair's count, then the login's, as stored and as read (for a checked write). */
export function readFailures(db: Db, login: string, client: string): Promise<Deno.KvEntryMaybe<unknown>[]> {
  return db.kv.getMany([failuresKey(db, login, client), failuresKey(db, login)]);
}

/** Writes both counts if neither moved since they were read; false when another attempt came first. */
export async function writeFailures(
  db: Db,
  read: Deno.KvEntryMaybe<unknown>[],
  next: unknown[],
  expireIn: number,
): Promise<boolean> {
  const op = db.kv.atomic();
  read.forEach((entry, i) => op.check(entry).set(entry.key, next[i], { expireIn }));
  return (await op.commit()).ok;
}

/** A success forgives the pair's failures; the login's stay, so guessing from many addresses still adds up. */
export async function clearClientFailures(db: Db, login: string, client: string): Promise<void> {
  await db.kv.delete(failuresKey(db, login, client));
}
