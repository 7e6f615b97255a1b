/** The administrators' audit: who changed which user account, and how. */
import { type Db, newId } from "./kv.ts";

export interface AdminAuditEntry {
  /** The administrator's name. */
  by: string;
  action: string;
  /** The changed user's login; none for a district setting. */
  user?: string;
}

export async function addAdminAudit(db: Db, at: number, entry: AdminAuditEntry): Promise<void> {
  await db.kv.set([db.districtId, "admin_audit", at, newId()], entry);
}
