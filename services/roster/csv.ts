/**
 * Reading the files of a OneRoster upload: zips are opened, CSVs are parsed
 * as a stream of rows (csv-parse), never as one array of the whole file.
 *
 * An upload is checked against UPLOAD_LIMITS as it is read, before anything
 * is stored: a zip is inflated in slices with a running count, so a zip
 * bomb is stopped a slice past a cap instead of being inflated whole.
 */
import { CsvError, parse } from "csv-parse";
import { Unzip, UnzipInflate } from "fflate";

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

/** Largest upload accepted (all files together, as sent). */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

export interface UploadLimits {
  /** Bytes of one file Messenger reads, once unzipped. */
  fileBytes: number;
  /** Bytes of all the files Messenger reads, once unzipped. */
  totalBytes: number;
  /** Unzipped bytes per zipped byte, counted over the zip read so far ... */
  ratio: number;
  /** ... once this many bytes are unzipped (a tiny file may compress better). */
  ratioAfter: number;
  /** Files in the upload, and entries (folders too) in each zip. */
  entries: number;
  /** Bytes of one CSV row, a quoted field's newlines included. */
  recordBytes: number;
}

/**
 * The unzipped files are stored and read whole into memory, so a file may
 * not unzip to more than could be uploaded as it is, and all of them to
 * twice that (enrollments.csv can be as large as users.csv). A OneRoster
 * export compresses 5–12 times (a zip bomb about 1,000); a district of
 * 134,000 people has rows of about 220 bytes in a 29 MB users.csv.
 */
export const UPLOAD_LIMITS: UploadLimits = {
  fileBytes: MAX_UPLOAD_BYTES,
  totalBytes: 2 * MAX_UPLOAD_BYTES,
  ratio: 100,
  ratioAfter: 1024 * 1024,
  entries: 100,
  recordBytes: 64 * 1024,
};

/** Longest file name accepted: ignored files are named on the import's page and kept in its record. */
const MAX_NAME = 255;

/** Raised for an upload that cannot be read at all (a broken zip, two users.csv) or is over a limit. */
export class UploadError extends Error {}

/** Work done between two turns of the event loop, at most: requests wait no longer than this for a long import. */
export const SLICE_MS = 20;

/**
 * A check to call often during long work: once SLICE_MS have passed it lets
 * the event loop run (timers, requests such as /healthz), then calls
 * `between` (where a job renews its lease).
 */
export function slicer(between?: () => Promise<void>): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < SLICE_MS) return;
    await new Promise((r) => setTimeout(r, 0));
    await between?.();
    since = performance.now();
  };
}

const sizeText = (n: number) =>
  n < 1024 * 1024 ? `${Math.round(n / 1024).toLocaleString("en-US")} KB` : `${Math.round(n / 1024 / 1024)} MB`;

function canonicalName(path: string): RosterFileName | null {
  const base = path.split(/[\\/]/).pop()!.toLowerCase();
  return ROSTER_FILES.find((f) => f.toLowerCase() === base) ?? null;
}

const QUOTE = 0x22, LF = 0x0a, CR = 0x0d;

/** One file as its bytes arrive: its size and its longest row checked on the way. */
class IncomingFile {
  private parts: Uint8Array[] = [];
  private size = 0;
  private quoted = false;
  private record = 0;
  private line = 1;
  private recordLine = 1;

  /** `where`: the file as messages name it ("users.csv in roster.zip"). */
  constructor(
    readonly name: RosterFileName,
    private where: string,
    private zipped: boolean,
    private limits: UploadLimits,
  ) {}

  push(chunk: Uint8Array): void {
    this.size += chunk.length;
    if (this.size > this.limits.fileBytes) {
      const unzipped = this.zipped ? " once unzipped" : "";
      throw new UploadError(`${this.where} is larger than ${sizeText(this.limits.fileBytes)}${unzipped}`);
    }
    // Quotes are followed, so a quoted field's newlines count in its row (csv-parse reads them so too).
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === QUOTE) this.quoted = !this.quoted;
      else if (c === LF || c === CR) {
        if (c === LF) this.line++;
        if (!this.quoted) {
          this.record = 0;
          this.recordLine = this.line;
          continue;
        }
      }
      if (++this.record > this.limits.recordBytes) {
        throw new UploadError(
          `${this.where}, line ${this.recordLine}: a row longer than ${
            sizeText(this.limits.recordBytes)
          } (a OneRoster row is a few hundred bytes; is a quote left open?)`,
        );
      }
    }
    this.parts.push(chunk);
  }

  bytes(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0];
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** Compressed bytes handed to the inflater at a time: a bomb inflates about 1,000 times this before it is stopped. */
const ZIP_SLICE = 16 * 1024;
/** Bytes of a loose file checked at a time. */
const CHECK_SLICE = 1024 * 1024;

/** A zip ends with its central directory's end record, in its last 64 KiB: without it, it is no zip. */
function hasEndRecord(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 22; i >= 0 && bytes.length - i <= 65_557; i--) {
    if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 5 && bytes[i + 3] === 6) return true;
  }
  return false;
}

/**
 * Sorts the uploaded files (zips or loose CSVs) into the OneRoster set,
 * checking every limit as the bytes are read; an UploadError names the
 * first one passed. `slice` lets other work run between slices.
 */
export async function collectFiles(
  uploads: UploadedFile[],
  limits: UploadLimits = UPLOAD_LIMITS,
  slice: () => Promise<void> = slicer(),
): Promise<RosterFiles> {
  if (uploads.length > limits.entries) throw new UploadError(`the upload holds more than ${limits.entries} files`);
  const long = uploads.find((u) => u.name.length > MAX_NAME);
  if (long) throw new UploadError(`a file name longer than ${MAX_NAME} characters (${long.name.slice(0, 40)}…)`);
  const files = new Map<RosterFileName, Uint8Array>();
  const ignored: string[] = [];
  let total = 0;
  const budget: Budget = {
    limits,
    slice,
    count(chunk) {
      total += chunk.length;
      if (total > limits.totalBytes) {
        throw new UploadError(`the files come to more than ${sizeText(limits.totalBytes)} once unzipped`);
      }
    },
    open(path, zip) {
      const name = canonicalName(path);
      if (!name) return null;
      if (files.has(name)) throw new UploadError(`${name} appears twice in the upload`);
      return new IncomingFile(name, zip ? `${path} in ${zip}` : path, zip !== null, limits);
    },
  };
  for (const u of uploads) {
    const isZip = u.bytes[0] === 0x50 && u.bytes[1] === 0x4b; // "PK"
    if (isZip || u.name.toLowerCase().endsWith(".zip")) {
      for (const f of await unzip(u, budget)) files.set(f.name, f.bytes());
      continue;
    }
    const file = budget.open(u.name, null);
    if (!file) {
      ignored.push(u.name);
      continue;
    }
    for (let at = 0; at < u.bytes.length; at += CHECK_SLICE) {
      const chunk = u.bytes.subarray(at, at + CHECK_SLICE);
      budget.count(chunk);
      file.push(chunk);
      await slice();
    }
    files.set(file.name, u.bytes);
  }
  return { files, ignored };
}

interface Budget {
  limits: UploadLimits;
  slice: () => Promise<void>;
  /** Adds unzipped bytes to the upload's total. */
  count(chunk: Uint8Array): void;
  /** The file to fill (`zip`: the zip it is in), or null for one Messenger does not read. */
  open(path: string, zip: string | null): IncomingFile | null;
}

/**
 * The files of one zip that Messenger reads, inflated ZIP_SLICE compressed
 * bytes at a time. fflate calls back from inside `push`, so a limit passed
 * there is kept in `fault` and thrown when the slice returns.
 */
async function unzip(u: UploadedFile, budget: Budget): Promise<IncomingFile[]> {
  const { limits } = budget;
  const unreadable = (why: string) => new UploadError(`${u.name} is not a readable zip file (${why})`);
  if (!hasEndRecord(u.bytes)) throw unreadable("no central directory");
  const found: IncomingFile[] = [];
  let entries = 0;
  let inflated = 0;
  let fault: unknown = null;
  const reader = new Unzip((entry) => {
    if (++entries > limits.entries) throw new UploadError(`${u.name} holds more than ${limits.entries} files`);
    if (entry.name.length > MAX_NAME) {
      throw new UploadError(`${u.name} has a file name longer than ${MAX_NAME} characters`);
    }
    // macOS resource forks are not the user's files; an entry not started is skipped, never inflated.
    const file = entry.name.startsWith("__MACOSX/") ? null : budget.open(entry.name, u.name);
    if (!file) return;
    if (found.some((f) => f.name === file.name)) throw new UploadError(`${file.name} appears twice in the upload`);
    found.push(file);
    entry.ondata = (err, chunk) => {
      if (fault) return;
      try {
        if (err) throw unreadable(err.message);
        inflated += chunk.length;
        budget.count(chunk);
        file.push(chunk);
      } catch (e) {
        fault = e;
      }
    };
    entry.start();
  });
  reader.register(UnzipInflate);
  for (let at = 0; at < u.bytes.length; at += ZIP_SLICE) {
    const end = Math.min(at + ZIP_SLICE, u.bytes.length);
    try {
      reader.push(u.bytes.subarray(at, end), end === u.bytes.length);
    } catch (e) {
      fault ??= e instanceof UploadError ? e : unreadable((e as Error).message);
    }
    if (fault) throw fault;
    if (inflated > limits.ratioAfter && inflated > limits.ratio * end) {
      const name = found[found.length - 1].name;
      throw new UploadError(
        `${name} in ${u.name} unzips to more than ${limits.ratio} times its compressed size, which no roster export does (a zip bomb?)`,
      );
    }
    await budget.slice();
  }
  return found;
}

export interface Row {
  /** The physical line the record ends on (1 is the header): csv-parse counts a quoted field's newlines. */
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
 * `slice` is awaited between chunks: parsing is all microtasks, so without
 * it a large file would hold the event loop until its last row.
 */
export async function* rows(
  bytes: Uint8Array,
  onHeader: (h: Header) => void,
  slice: () => Promise<void> = slicer(),
): AsyncGenerator<Row> {
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    trim: true,
    // The upload refused longer rows; this keeps a file stored without that check from filling memory.
    max_record_size: UPLOAD_LIMITS.recordBytes,
  });
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
      await slice();
    }
    if (!parser.destroyed) parser.end(decoder.decode());
  })().catch((e) => parser.destroy(e));
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
    // What the parser cannot read on is a problem with the file; anything else (a lost lease) goes on up.
    if (!(e instanceof CsvError)) throw e;
    throw new CsvFileError(e.message, (e as CsvError & { lines?: number }).lines ?? 0);
  } finally {
    parser.destroy();
    await feed;
  }
}
