/** Attachment bytes in KV, split under the 64 KiB value limit. */
import type { Attachment } from "../model.ts";
import { type Db, joinChunks } from "./kv.ts";

const CHUNK = 60_000;

function prefix(db: Db, messageId: string, attachmentId: string): Deno.KvKey {
  return [db.districtId, "attachment", messageId, attachmentId];
}

export async function saveAttachmentBytes(
  db: Db,
  messageId: string,
  attachment: Attachment,
  bytes: Uint8Array,
): Promise<void> {
  // Chunks land in several commits (10 x 60 KB stays under 800 KiB each);
  // the message that names the attachment is written only afterwards, so a
  // half-written file is never reachable.
  const chunks: Uint8Array[] = [];
  for (let s = 0; s < Math.max(bytes.length, 1); s += CHUNK) {
    chunks.push(bytes.subarray(s, s + CHUNK));
  }
  for (let i = 0; i < chunks.length; i += 10) {
    const op = db.kv.atomic();
    chunks.slice(i, i + 10).forEach((chunk, j) => op.set([...prefix(db, messageId, attachment.id), i + j], chunk));
    if (!(await op.commit()).ok) {
      throw new Error("could not store the attachment");
    }
  }
}

/** The attachment's bytes as a stream, one chunk in memory at a time. */
export function attachmentStream(
  db: Db,
  messageId: string,
  attachmentId: string,
): ReadableStream<Uint8Array> {
  const iter = db.kv.list<Uint8Array>({
    prefix: prefix(db, messageId, attachmentId),
  }, { batchSize: 4 });
  return new ReadableStream({
    async pull(controller) {
      const next = await iter.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value.value);
    },
  });
}

/** The whole attachment, for a provider that takes it in one piece. */
export async function getAttachmentBytes(db: Db, messageId: string, attachmentId: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of attachmentStream(db, messageId, attachmentId)) chunks.push(c);
  return joinChunks(chunks);
}
