/** Tool rights, checked on the server for every list, page and fragment. */
import { MESSAGE_TYPES, type MessageSummary, MODES, RECIPIENT_TYPES, type ToolRights, type User } from "./model.ts";

/** A district administrator: every right, every calendar. */
export const ADMIN_RIGHTS: ToolRights = {
  modes: [...MODES],
  messageTypes: [...MESSAGE_TYPES],
  recipientTypes: [...RECIPIENT_TYPES],
  viewEditAll: true,
  calendars: "all",
  admin: true,
  outsideQuietHours: true,
};

export function mayUseCalendar(user: User, calendarId: string): boolean {
  return user.rights.calendars === "all" ||
    user.rights.calendars.includes(calendarId);
}

/**
 * Without View/Edit All Scheduled Messages a user sees only what they
 * created; with it, everything under the calendars they have rights to.
 */
export function maySeeMessage(
  user: User,
  message: Pick<MessageSummary, "created" | "calendarId">,
): boolean {
  if (message.created.userId === user.id) return true;
  return user.rights.viewEditAll && mayUseCalendar(user, message.calendarId);
}
