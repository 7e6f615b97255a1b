/** Attachment rules: what may be attached to email and inbox messages. */
import type { Attachment } from "./model.ts";
import { newId } from "./store/kv.ts";

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS = 10;

/** Extension → content type: documents and images families can open. */
export const ALLOWED_TYPES: Record<string, string> = {
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  txt: "text/plain",
  csv: "text/csv",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Checks new files against the type allowlist and the per-message total. */
export function checkUploads(
  existing: Attachment[],
  files: { name: string; size: number }[],
): { problem: string } | { accepted: Attachment[] } {
  const accepted: Attachment[] = [];
  let total = existing.reduce((n, a) => n + a.size, 0);
  if (existing.length + files.length > MAX_ATTACHMENTS) {
    return { problem: `At most ${MAX_ATTACHMENTS} attachments per message` };
  }
  for (const f of files) {
    const ext = f.name.includes(".") ? f.name.slice(f.name.lastIndexOf(".") + 1).toLowerCase() : "";
    const contentType = ALLOWED_TYPES[ext];
    if (!contentType) {
      return {
        problem: `"${f.name}" is not a type Messenger can attach (allowed: ${Object.keys(ALLOWED_TYPES).join(", ")})`,
      };
    }
    if (f.size === 0) return { problem: `"${f.name}" is empty` };
    total += f.size;
    if (total > MAX_ATTACHMENT_BYTES) {
      return {
        problem: `"${f.name}" (${formatBytes(f.size)}) would bring the attachments to ${formatBytes(total)}; ` +
          `the limit is ${formatBytes(MAX_ATTACHMENT_BYTES)} per message`,
      };
    }
    accepted.push({
      id: newId(),
      name: f.name.replaceAll(/[\\/\r\n"]/g, "_").slice(0, 200),
      contentType,
      size: f.size,
    });
  }
  return { accepted };
}
