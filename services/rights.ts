/** Tool rights, checked on the server for every list, page and fragment. */
import type { MessageSummary, User } from "./model.ts";

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
