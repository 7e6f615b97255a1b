/**
 * Drafts of New Message and Edit Message: the wizard's forms as typed, kept
 * in KV for a day and only ever shown to the user who started them.
 */
import { z } from "zod";
import { ContentForm, RecipientsForm, SendForm } from "../compose/forms.ts";
import { Attachment, Translation, type User } from "../model.ts";
import { type Db, getEntity } from "./kv.ts";

export const Draft = z.object({
  id: z.string(),
  ownerId: z.string(),
  messageId: z.string(),
  /**
   * Set when editing: the version the edit started from, and whether it was
   * sent outside quiet hours (which an editor without that right may keep).
   */
  base: z.object({
    versionstamp: z.string(),
    modifiedBy: z.string(),
    modifiedAt: z.string(),
    outsideQuietHours: z.boolean().optional(),
  }).optional(),
  recurringAtStart: z.boolean().default(false),
  recipients: RecipientsForm,
  content: ContentForm,
  attachments: z.array(Attachment),
  /**
   * The languages ticked on the Content step, besides the district's; unset
   * until the step is posted, when every language of the recipients is.
   */
  languages: z.array(z.string()).optional(),
  /** The languages the step listed when it was posted: one that appears later (new recipients) starts ticked. */
  languagesOffered: z.array(z.string()).default([]),
  /** Each language's content as typed or translated, ticked or not (untick and tick again: it is still there). */
  translations: z.record(z.string(), Translation).default({}),
  send: SendForm,
  createdAt: z.number(),
});
export type Draft = z.infer<typeof Draft>;

export const DRAFT_TTL_MS = 24 * 60 * 60 * 1000;
const draftKey = (db: Db, id: string): Deno.KvKey => [db.districtId, "draft", id];

/** The user's own draft, or null: an expired draft and someone else's look the same. */
export async function getDraft(db: Db, user: User, id: string): Promise<Draft | null> {
  if (!/^[0-9A-Z]{12}$/.test(id)) return null;
  const draft = await getEntity(db, Draft, draftKey(db, id));
  return draft && draft.value.ownerId === user.id ? draft.value : null;
}

export async function putDraft(db: Db, draft: Draft): Promise<void> {
  await db.kv.set(draftKey(db, draft.id), Draft.parse(draft), { expireIn: DRAFT_TTL_MS });
}

export async function deleteDraft(db: Db, id: string): Promise<void> {
  await db.kv.delete(draftKey(db, id));
}
