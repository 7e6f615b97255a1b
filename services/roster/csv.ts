/**
 * Reading the files of a OneRoster upload: zips are opened, CSVs are parsed
 * as a stream of rows (csv-parse), never as one array of the whole file.
 */
import { parse } from "csv-parse";
import { unzipSync } from "fflate";

/** The OneRoster 1.1 CSV files Messenger reads; any other file in an upload is named as ignored. */
export const ROSTER_FILES = [
  "manifest.csv",
  "orgs.csv",
  "academicSessions.csv",
  "users.csv",
  "courses.csv",
  "classes.csv",
  "enrollments.csv",
] as const;
export type RosterFileName = typeof ROSTER_FILES[number];

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export interface RosterFiles {
  files: Map<RosterFileName, Uint8Array>;
  /** Files in the upload that are not part of OneRoster's set Messenger reads. */
  ignored: string[];
}

/** Raised for an upload that cannot be read at all (a broken zip, two users.csv). */
export class UploadError extends Error {}

function canonicalName(path: string): RosterFileName | null {
  const base = path.split(/[\\/]/).pop()!.toLowerCase();
  return ROSTER_FILES.find((f) => f.toLowerCase() === base) ?? null;
}

/** Sorts the uploaded files (zips or loose CSVs) into the OneRoster set. */
export function collectFiles(uploads: UploadedFile[]): RosterFiles {
  const files = new Map<RosterFileName, Uint8Array>();
  const ignored: string[] = [];
  const add = (path: string, bytes: Uint8Array) => {
    const name = canonicalName(path);
    if (!name) {
      if (!path.endsWith("/")) ignored.push(path);
      return;
    }
    if (files.has(name)) throw new UploadError(`${name} appears twice in the upload`);
    files.set(name, bytes);
  };
  for (const u of uploads) {
    const isZip = u.bytes[0] === 0x50 && u.bytes[1] === 0x4b; // "PK"
    if (isZip || u.name.toLowerCase().endsWith(".zip")) {
      let entries: Record<string, Uint8Array>;
      try {
        entries = unzipSync(u.bytes, {
          // Only the files we read are inflated; skip macOS resource forks.
          filter: (f) => !f.name.startsWith("__MACOSX/") && canonicalName(f.name) !== null,
        });
      } catch (e) {
        throw new UploadError(`${u.name} is not a readable zip file (${(e as Error).message})`);
      }
      for (const [path, bytes] of Object.entries(entries)) add(path, bytes);
    } else {
      add(u.name, u.bytes);
    }
  }
  return { files, ignored };
}

export interface Row {
  /** The physical line the record starts on (1 is the header). */
  line: number;
  /** Cells by header name; a column missing from the row reads as "". */
  get(column: string): string;
  /** How many cells the row had. */
  width: number;
}

export interface Header {
  columns: string[];
}

/** Thrown by `rows` for a file csv-parse cannot read past (an unclosed quote). */
export class CsvFileError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

const CHUNK = 64 * 1024;

/**
 * The records of one CSV file, streamed: the bytes are fed to the parser in
 * 64 KiB chunks and each record is handed out as soon as it is parsed.
 */
export async function* rows(bytes: Uint8Array, onHeader: (h: Header) => void): AsyncGenerator<Row> {
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, trim: true });
  const decoder = new TextDecoder("utf-8");
  const feed = (async () => {
    for (let i = 0; i < bytes.length && !parser.destroyed; i += CHUNK) {
      const text = decoder.decode(bytes.subarray(i, i + CHUNK), { stream: true });
      if (!parser.write(text)) {
        // Whichever comes first; the other listener goes too, or one is left behind per wait.
        await new Promise<void>((r) => {
          const go = () => {
            parser.off("drain", go);
            parser.off("close", go);
            r();
          };
          parser.once("drain", go);
          parser.once("close", go);
        });
      }
    }
    if (!parser.destroyed) parser.end(decoder.decode());
  })();
  let index: Map<string, number> | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!index) {
        const columns = record.map((c) => c.trim());
        index = new Map(columns.map((c, i) => [c, i]));
        onHeader({ columns });
        continue;
      }
      const cells = record;
      const at = index;
      yield { line: info.lines, width: cells.length, get: (column) => cells[at.get(column) ?? -1] ?? "" };
    }
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new CsvFileError(err.message, err.lines ?? 0);
  } finally {
    parser.destroy();
    await feed.catch(() => {});
  }
}
