/** Send / Update: the end of the wizard, where a draft becomes a scheduled message. */
import type { District, Message, RecipientType, User } from "../model.ts";
import { nextDelivery } from "../recurrence.ts";
import { maySeeMessage } from "../rights.ts";
import { getCalendar } from "../store/district.ts";
import { deleteDraft, type Draft } from "../store/drafts.ts";
import { ConflictError, type Db, type Versioned } from "../store/kv.ts";
import { getMessage, saveMessage } from "../store/messages.ts";
import { diffMessages } from "./audit_diff.ts";
import { checkContent } from "./content_step.ts";
import { htmlToText, sanitizeEmailHtml } from "./email_html.ts";
import type { Errors } from "./errors.ts";
import type { Step } from "./forms.ts";
import { checkTranslations, fitsOneValue, messageLanguages } from "./languages.ts";
import { type LargeSend, largeSendUnconfirmed } from "./large_send.ts";
import { checkRecipients } from "./recipients_step.ts";
import { buildSendOptions, type SendOptions } from "./send_options.ts";
import { keptOutsideQuietHours } from "./steps.ts";

export class EditConflict extends Error {
  constructor(readonly by: string, readonly at: string) {
    super(`changed by ${by} at ${at}`);
    this.name = "EditConflict";
  }
}

/** A new message's history entry: how it was sent, and the sender's choice to send outside quiet hours. */
function createdAs(s: SendOptions): string {
  const how = [s.sendNow && "Send Now", s.outsideQuietHours && "sent outside quiet hours"].filter(Boolean);
  return how.length ? `created (${how.join(", ")})` : "created";
}

/**
 * Send / Update: the draft becomes the message. Every step is validated
 * again (a draft can be posted to step 3 directly). A send to more than the
 * district's large-send threshold goes only with `typedCount` equal to its
 * count; else nothing is saved and the confirmation is returned. Throws
 * EditConflict if someone else saved the message since this edit began.
 */
export async function commitDraft(
  db: Db,
  user: User,
  district: District,
  draft: Draft,
  now: number,
  typedCount = "",
): Promise<{ errors: Errors; step: Step } | { confirm: LargeSend } | { message: Message; sendNow: boolean }> {
  const calendar = await getCalendar(db, draft.recipients.calendarId);
  const r = await checkRecipients(db, draft.recipients, user, calendar);
  if (Object.keys(r).length) return { errors: r, step: "recipients" };
  const c = { ...checkContent(draft.content, draft.recipients), ...checkTranslations(draft, district) };
  if (Object.keys(c).length) return { errors: c, step: "content" };
  const s = buildSendOptions(draft.send, draft.content, user, district, calendar, now, keptOutsideQuietHours(draft));
  if ("errors" in s) return { errors: s.errors, step: "send" };

  const previous = draft.base ? await getMessage(db, draft.messageId) : null;
  if (draft.base && (!previous || !maySeeMessage(user, previous.value))) {
    return { errors: { form: "This message no longer exists: it was canceled or has been sent." }, step: "send" };
  }
  const emailHtml = sanitizeEmailHtml(draft.content.emailHtml);
  const stamp = { userId: user.id, name: user.name, at: new Date(now).toISOString() };
  const message: Message = {
    id: draft.messageId,
    type: s.type,
    subject: draft.content.subject.trim(),
    modes: s.modes,
    content: {
      emailHtml,
      emailText: draft.content.emailText.trim() || htmlToText(emailHtml),
      text: draft.content.text,
      voice: draft.content.voice,
      inbox: draft.content.inbox,
    },
    attachments: s.modes.some((m) => m === "email" || m === "inbox") ? draft.attachments : [],
    calendarId: draft.recipients.calendarId,
    recipients: {
      types: draft.recipients.types as RecipientType[],
      grades: draft.recipients.grades,
      personIds: draft.recipients.types.includes("individuals") ? draft.recipients.personIds : [],
      oneCopyPerGuardian: draft.recipients.oneCopyPerGuardian,
    },
    schedule: s.schedule,
    created: previous?.value.created ?? stamp,
    modified: previous ? stamp : undefined,
    // Send Now is due at once: the scheduler picks it up on its next tick.
    nextAt: s.sendNow ? now : nextDelivery(s.schedule, now, district.timeZone, calendar ?? undefined),
    ...(s.outsideQuietHours && { outsideQuietHours: true }),
    ...messageLanguages(draft, district),
  };
  if (!fitsOneValue(message)) {
    return {
      errors: {
        languages: "The message and its translations are too long to store together: shorten them, or untick a " +
          "language (its recipients then get the original)",
      },
      step: "content",
    };
  }
  const confirm = calendar &&
    await largeSendUnconfirmed(db, district, message.recipients, calendar, message.modes, typedCount);
  if (confirm) return { confirm };
  const versioned: Versioned<Message> | null = previous && draft.base
    ? { value: previous.value, versionstamp: draft.base.versionstamp }
    : null;
  try {
    await saveMessage(db, versioned, message, {
      at: now,
      userId: user.id,
      name: user.name,
      action: previous ? "edited" : createdAs(s),
      changes: previous ? diffMessages(previous.value, message) : [],
    });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    const latest = await getMessage(db, draft.messageId);
    const by = latest?.value.modified ?? latest?.value.created;
    throw new EditConflict(by?.name ?? "someone", by?.at ?? "");
  }
  await deleteDraft(db, draft.id);
  return { message, sendNow: s.sendNow };
}
