/**
 * An upload becomes an import: the files are checked as they are read (see
 * csv.ts), stored in chunks, and the import's record starts "previewing".
 */
import type { Stamp } from "../model.ts";
import { type Db, newId } from "../store/kv.ts";
import { createImportRecord, rosterBasis, RosterImport, saveUploadedFile } from "../store/roster_imports.ts";
import { collectFiles, UPLOAD_LIMITS, type UploadedFile, UploadError, type UploadLimits } from "./csv.ts";

/**
 * Stores an upload and its import record. Returns the import, or throws an
 * UploadError, before anything is stored, for files that cannot be read at
 * all, are over a limit, or are no OneRoster CSV.
 */
export async function createImport(
  db: Db,
  uploads: UploadedFile[],
  by: Stamp,
  limits: UploadLimits = UPLOAD_LIMITS,
): Promise<RosterImport> {
  const { files, ignored } = await collectFiles(uploads, limits);
  if (files.size === 0) {
    throw new UploadError(`none of the files is a OneRoster CSV (${uploads.map((u) => u.name).join(", ")})`);
  }
  const id = `${by.at.replace(/[-:.TZ]/g, "").slice(0, 14)}-${newId()}`;
  for (const [name, bytes] of files) await saveUploadedFile(db, id, name, bytes);
  const record: RosterImport = RosterImport.parse({
    id,
    status: "previewing",
    created: by,
    files: [...files].map(([name, bytes]) => ({ name, size: bytes.length })),
    ignored,
    basis: await rosterBasis(db),
  });
  await createImportRecord(db, record);
  return record;
}
