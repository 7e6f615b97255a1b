/** Edit Message: a draft of a scheduled message, remembering the version the edit started from. */
import type { User } from "../model.ts";
import { maySeeMessage } from "../rights.ts";
import { type Draft, putDraft } from "../store/drafts.ts";
import { type Db, newId } from "../store/kv.ts";
import { getMessage } from "../store/messages.ts";
import { ContentForm, RecipientsForm } from "./forms.ts";
import { sendFromSchedule } from "./send_options.ts";

/** A draft of an existing message, or null when the user may not edit it. */
export async function editDraft(db: Db, user: User, messageId: string, now: number): Promise<Draft | null> {
  const current = await getMessage(db, messageId);
  if (!current || !maySeeMessage(user, current.value) || current.value.nextAt === null) return null;
  const m = current.value;
  const stamp = m.modified ?? m.created;
  const draft: Draft = {
    id: newId(),
    ownerId: user.id,
    messageId,
    base: {
      versionstamp: current.versionstamp,
      modifiedBy: stamp.name,
      modifiedAt: stamp.at,
      ...(m.outsideQuietHours && { outsideQuietHours: true }),
    },
    recurringAtStart: m.schedule.kind === "recurring",
    recipients: RecipientsForm.parse({
      calendarId: m.calendarId,
      ...m.recipients,
      oneCopyPerGuardian: m.recipients.oneCopyPerGuardian ? "on" : "",
    }),
    content: ContentForm.parse({ subject: m.subject, ...m.content }),
    attachments: m.attachments,
    // A language sent before is ticked again, with its content as stored; the recipients' others are ticked too.
    languages: m.languages ?? [],
    languagesOffered: [],
    translations: m.translations ?? {},
    send: sendFromSchedule(m.schedule, m.type, m.modes, m.outsideQuietHours),
    createdAt: now,
  };
  await putDraft(db, draft);
  return draft;
}
