/** New Message: a draft with the choices most users make, within the user's rights. */
import type { Calendar, District, User } from "../model.ts";
import { mayUseCalendar } from "../rights.ts";
import { type Draft, putDraft } from "../store/drafts.ts";
import { type Db, newId } from "../store/kv.ts";
import { addDays, toWall } from "../time.ts";
import { ContentForm, RecipientsForm, SendForm } from "./forms.ts";

function emptySend(today: string): SendForm {
  return SendForm.parse({ when: "later", date: addDays(today, 1), time: "08:00", skipNoSchoolDays: "on" });
}

export async function newDraft(
  db: Db,
  user: User,
  calendars: Calendar[],
  district: District,
  now: number,
): Promise<Draft> {
  const today = toWall(now, district.timeZone).date;
  const draft: Draft = {
    id: newId(),
    ownerId: user.id,
    messageId: newId(),
    recurringAtStart: false,
    recipients: RecipientsForm.parse({
      calendarId: calendars.find((c) => mayUseCalendar(user, c.id))?.id ?? "",
      types: user.rights.recipientTypes.includes("guardians") ? ["guardians"] : user.rights.recipientTypes.slice(0, 1),
      oneCopyPerGuardian: "on",
    }),
    content: ContentForm.parse({}),
    attachments: [],
    languagesOffered: [],
    translations: {},
    send: {
      ...emptySend(today),
      type: user.rights.messageTypes[0] ?? "general",
      modes: user.rights.modes.filter((m) => m !== "voice").slice(0, 2),
    },
    createdAt: now,
  };
  await putDraft(db, draft);
  return draft;
}
