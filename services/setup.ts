/**
 * First run in production: the district comes from configuration and the
 * first administrator from env vars or the set-up page; never a default
 * password.
 */
import { hashPassword } from "./auth.ts";
import type { District, User } from "./model.ts";
import { ADMIN_RIGHTS } from "./rights.ts";
import { getDistrict, saveDistrict } from "./store/district.ts";
import type { Db } from "./store/kv.ts";
import { claimFirstAdmin, createUser, listUsers } from "./store/users.ts";

export async function ensureDistrict(db: Db, init: Omit<District, "id">): Promise<District> {
  const existing = await getDistrict(db);
  if (existing) return existing;
  const district = { id: db.districtId, ...init };
  await saveDistrict(db, district);
  return district;
}

export async function needsFirstAdmin(db: Db): Promise<boolean> {
  return (await listUsers(db)).length === 0;
}

export interface FirstAdmin {
  login: string;
  name: string;
  password: string;
}

export const MIN_PASSWORD = 12;

/** Creates the first administrator; false if one was created meanwhile. */
export async function createFirstAdmin(db: Db, admin: FirstAdmin): Promise<boolean> {
  const user: User = {
    id: `usr-${admin.login.toLowerCase()}`,
    login: admin.login,
    name: admin.name,
    title: "District administrator",
    passwordHash: await hashPassword(admin.password),
    sessionEpoch: 0,
    disabled: false,
    rights: ADMIN_RIGHTS,
  };
  if (!(await claimFirstAdmin(db, user.id))) return false;
  await createUser(db, user);
  return true;
}
