/**
 * The Recipient Report of a run: who it went to, by which device, and what
 * became of it. Read straight from the run's deliveries, page by page or as
 * a CSV stream, never the whole run in memory.
 */
import { z } from "zod";
import { languageName } from "./languages.ts";
import { errorMeaning } from "./providers/error_meanings.ts";
import { Mode } from "./model.ts";
import { deliveriesOf, type Delivery, deliveryPage, DeliveryState } from "./store/deliveries.ts";
import { type Db, type Page, PageCursor } from "./store/kv.ts";
import { getPeople } from "./store/people.ts";

export const ReportQuery = z.object({
  state: z.union([z.literal(""), DeliveryState], { error: "is not a delivery state" }).default(""),
  mode: z.union([z.literal(""), Mode], { error: "is not a delivery mode" }).default(""),
  q: z.string().trim().max(100, "at most 100 characters").default(""),
  cursor: PageCursor,
});
export type ReportQuery = z.infer<typeof ReportQuery>;

export interface ReportRow {
  delivery: Delivery;
  /** "guardian of Ada Okafor, Obi Okafor", "student", "staff". */
  relationship: string;
  device: string;
  meaning: string;
  /** The copy's language by name ("Español (Spanish)"); empty for a delivery from before messages had languages. */
  language: string;
}

/** Phones show their last four digits only; emails their first letter and domain. */
export function maskAddress(mode: Delivery["mode"], address = ""): string {
  if (mode === "inbox") return "portal inbox";
  if (mode === "email") {
    const [user, domain] = address.split("@");
    return domain ? `${user.slice(0, 1)}***@${domain}` : "***";
  }
  return `***-***-${address.replaceAll(/\D/g, "").slice(-4)}`;
}

function matcher(query: Pick<ReportQuery, "state" | "q">) {
  const needle = query.q.toLowerCase();
  return (d: Delivery) =>
    (!query.state || d.state === query.state) && (!needle || d.name.toLowerCase().includes(needle));
}

async function rows(db: Db, deliveries: Delivery[]): Promise<ReportRow[]> {
  const students = await getPeople(db, deliveries.flatMap((d) => d.studentIds));
  return deliveries.map((d) => ({
    delivery: d,
    relationship: d.as === "guardians"
      ? `guardian of ${
        d.studentIds.map((id) => {
          const s = students.get(id);
          return s ? `${s.firstName} ${s.lastName}` : id;
        }).join(", ")
      }`
      : d.as === "students"
      ? "student"
      : d.as === "staff"
      ? "staff"
      : "individual",
    device: maskAddress(d.mode, d.address),
    meaning: d.errorCode ? errorMeaning(d.errorCode) ?? "" : "",
    language: d.language ? languageName(d.language) : "",
  }));
}

export async function reportPage(db: Db, runId: string, query: ReportQuery): Promise<Page<ReportRow>> {
  const page = await deliveryPage(db, runId, query.mode || undefined, {
    limit: 100,
    cursor: query.cursor,
    filter: matcher(query),
  });
  return { ...page, items: await rows(db, page.items) };
}

export const CSV_COLUMNS = [
  "run_id",
  "person_id",
  "person",
  "relationship",
  "mode",
  "device",
  "state",
  "attempts",
  "provider_id",
  "provider_status",
  "error_code",
  "error_meaning",
  "last_update_utc",
  // Appended, so the columns before it keep their positions for existing spreadsheets.
  "read_at_utc",
  "opened_at_utc",
  "clicked_at_utc",
  "call_result",
  "language",
] as const;

/** A CSV cell: quoted when needed, and never a formula a spreadsheet would run. */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The report as CSV, one KV batch (100 rows) per chunk: memory stays flat however large the run. */
export function reportCsv(db: Db, runId: string, query: Pick<ReportQuery, "state" | "mode" | "q">) {
  const encoder = new TextEncoder();
  const keep = matcher(query);
  const iter = deliveriesOf(db, runId, query.mode || undefined, undefined, 100);
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(",")}\r\n`));
        return;
      }
      const batch: Delivery[] = [];
      while (batch.length < 100) {
        const next = await iter.next();
        if (next.done) break;
        const d = next.value.value;
        if (keep(d)) batch.push(d);
      }
      if (batch.length === 0) return controller.close();
      const lines = (await rows(db, batch)).map((r) => {
        const d = r.delivery;
        return [
          d.runId,
          d.personId,
          d.name,
          r.relationship,
          d.mode,
          r.device,
          d.state,
          d.attempts,
          d.providerId ?? "",
          d.providerStatus ?? "",
          d.errorCode ?? "",
          r.meaning || (d.error ?? ""),
          new Date(d.updatedAt).toISOString(),
          ...[d.readAt, d.openedAt, d.clickedAt].map((at) => at === undefined ? "" : new Date(at).toISOString()),
          d.callResult ?? "",
          d.language ?? "",
        ].map(csvCell).join(",");
      });
      controller.enqueue(encoder.encode(`${lines.join("\r\n")}\r\n`));
    },
  });
}
