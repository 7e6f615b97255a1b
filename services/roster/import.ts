/**
 * A roster import from upload to applied:
 *
 *   upload   (upload.ts) the files, in chunks, and the import record
 *            (status "previewing") with a durable `roster_preview` job;
 *   preview  (preview.ts) the changes and problem rows; status "ready";
 *   apply    (apply.ts) after the administrator confirms, by a
 *            `roster_apply` job; status "applied".
 *
 * Here: the ways out of that path (discard, fail), and the whole path in
 * one go.
 */
import type { Stamp } from "../model.ts";
import type { Db } from "../store/kv.ts";
import {
  deleteChanges,
  deleteUploadedFiles,
  getImport,
  releaseApplying,
  type RosterImport,
  saveImport,
  updateImport,
} from "../store/roster_imports.ts";
import type { UploadedFile } from "./csv.ts";
import type { ParseOptions } from "./oneroster.ts";
import { applyImport, startApply } from "./apply.ts";
import { buildPreview } from "./preview.ts";
import { createImport } from "./upload.ts";

/** A failed import's reason, at most: it is kept in the import's record. */
const MAX_ERROR = 1000;

/** Drops a previewed import that will not be applied. */
export async function discardImport(db: Db, id: string): Promise<boolean> {
  const current = await getImport(db, id);
  if (!current || !["ready", "failed", "previewing"].includes(current.value.status)) return false;
  if (!(await saveImport(db, current, { ...current.value, status: "discarded" }))) return false;
  await deleteChanges(db, id);
  await deleteUploadedFiles(db, id);
  return true;
}

/** Marks an import failed with a reason support can read (the preview or apply threw). */
export async function failImport(db: Db, id: string, error: string): Promise<void> {
  const reason = error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error;
  await updateImport(db, id, (i) => ({ ...i, status: "failed", error: reason }));
  await releaseApplying(db, id);
}

/**
 * Preview and apply in one go, for seeding (the demo district) and tests:
 * the same path an administrator's upload takes, without the pause to confirm.
 */
export async function importNow(
  db: Db,
  uploads: UploadedFile[],
  by: Stamp,
  opts: ParseOptions & { skipProblems?: boolean; now?: () => string } = {},
): Promise<RosterImport> {
  const created = await createImport(db, uploads, by);
  await buildPreview(db, created.id, opts);
  const started = await startApply(db, created.id, by, { skipProblems: opts.skipProblems ?? false });
  if (started !== "started") throw new Error(`roster import ${created.id} could not be applied: ${started}`);
  return await applyImport(db, created.id, opts.now ?? (() => new Date().toISOString()));
}
