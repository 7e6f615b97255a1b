import { User } from "../model.ts";
import { type Db, type EntityDef, getEntity, listAll, saveEntity, type Versioned } from "./kv.ts";

const userDef: EntityDef<User> = {
  schema: User,
  key: (db, u) => [db.districtId, "user", u.id],
  indexes: (
    db,
    u,
  ) => [{
    key: [db.districtId, "user_by_login", u.login.toLowerCase()],
    value: u.id,
  }],
};

export function getUser(db: Db, id: string): Promise<Versioned<User> | null> {
  return getEntity(db, User, [db.districtId, "user", id]);
}

export async function getUserByLogin(
  db: Db,
  login: string,
): Promise<Versioned<User> | null> {
  const id = await db.kv.get<string>([
    db.districtId,
    "user_by_login",
    login.trim().toLowerCase(),
  ]);
  return id.value ? getUser(db, id.value) : null;
}

export function createUser(db: Db, user: User): Promise<string> {
  return saveEntity(db, userDef, null, user);
}

export function updateUser(
  db: Db,
  previous: Versioned<User>,
  next: User,
): Promise<string> {
  return saveEntity(db, userDef, previous, next);
}

/**
 * Claims the first administrator's place for `userId`: false when someone
 * else claimed it first, so two set-up requests cannot both win.
 */
export async function claimFirstAdmin(db: Db, userId: string): Promise<boolean> {
  const marker = [db.districtId, "first_admin"];
  return (await db.kv.atomic().check({ key: marker, versionstamp: null }).set(marker, userId).commit()).ok;
}

export function listUsers(db: Db): Promise<User[]> {
  return listAll(db, [db.districtId, "user"], User);
}
