/**
 * Quiet hours: General and Priority texts go out only within the district's
 * text window and calls within its dialing window; Emergency ignores both,
 * and so does a message whose sender chose Send outside quiet hours.
 *
 * A window is read off the wall clock in the district's zone, as the rule a
 * family knows it ("no texts before 8 AM"): an instant is inside when the
 * local time reads from the start to before the end. So on the
 * spring-forward day a start the clocks skip (2:30 AM) opens the window the
 * moment they jump (3:00 AM daylight time), not an hour later, and on the
 * fall-back day the hour that happens twice is inside, or outside, both times.
 */
import type { District, Message, Mode } from "./model.ts";
import { addDays, formatClock, formatDate, offsetAt, toWall } from "./time.ts";

/** A daily window of wall-clock time, HH:MM to HH:MM (the end excluded), the same day. */
export interface DailyWindow {
  start: string;
  end: string;
}

const DAY = 86_400_000;

function msOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h * 60 + m) * 60_000;
}

/** The window a mode of this message waits for; null when it goes at its delivery time. */
export function quietHoursWindow(
  district: District,
  mode: Mode,
  message: Pick<Message, "type" | "outsideQuietHours">,
): DailyWindow | null {
  if (message.type === "emergency" || message.outsideQuietHours) return null;
  return windowOf(district, mode);
}

/** The district's window for a mode, whoever sends: texts and calls have one, inbox and email none. */
export function windowOf(district: District, mode: Mode): DailyWindow | null {
  return mode === "text" ? district.textWindow : mode === "voice" ? district.dialingWindow : null;
}

/** The first instant at or after `from` inside the window, on the wall clock of `timeZone`. */
export function nextInWindow(from: number, window: DailyWindow, timeZone: string): number {
  const [start, end] = [msOfDay(window.start), msOfDay(window.end)];
  // Between two offset changes local time is UTC plus one offset, so the window's next opening is arithmetic;
  // if it falls past the change, the search goes on from the change with the new offset.
  for (let at = from;;) {
    const offset = offsetAt(at, timeZone);
    const local = at + offset;
    const midnight = Math.floor(local / DAY) * DAY;
    const time = local - midnight;
    if (time >= start && time < end) return at;
    const opens = midnight + (time < start ? 0 : DAY) + start - offset;
    const change = offsetChange(at, offset, timeZone);
    if (opens < change) return opens;
    at = change;
  }
}

/**
 * The first whole second after `from` whose offset is not `offset`, or
 * Infinity when there is none within two days (a window opens within one).
 */
function offsetChange(from: number, offset: number, timeZone: string): number {
  let lo = Math.floor(from / 1000) * 1000;
  let hi = lo + 2 * DAY;
  if (offsetAt(hi, timeZone) === offset) return Infinity;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === offset) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** When a mode of a message actually goes out, and why if not at its delivery time. */
export interface GoesOut {
  mode: Mode;
  /** The instant it goes out. */
  at: number;
  /**
   * "waits": held for quiet hours to end; "emergency" or "chosen": its time is
   * in quiet hours and it goes anyway (an Emergency; Send outside quiet hours);
   * undefined: its time is outside quiet hours, or the mode has none.
   */
  quiet?: "waits" | "emergency" | "chosen";
}

/** When each mode goes out, from each mode's delivery time (Send Now: now). */
export function whenModesGoOut(
  district: District,
  message: Pick<Message, "type" | "modes" | "outsideQuietHours">,
  times: Partial<Record<Mode, number>>,
): GoesOut[] {
  return message.modes.flatMap((mode) => {
    const planned = times[mode];
    if (planned === undefined) return [];
    const window = windowOf(district, mode);
    const opens = window ? nextInWindow(planned, window, district.timeZone) : planned;
    if (opens === planned) return [{ mode, at: planned }];
    if (quietHoursWindow(district, mode, message)) return [{ mode, at: opens, quiet: "waits" as const }];
    return [{ mode, at: planned, quiet: message.type === "emergency" ? "emergency" as const : "chosen" as const }];
  });
}

const MODE_WORD: Record<Mode, string> = { inbox: "Inbox", email: "Email", text: "Texts", voice: "Calls" };

/** "Texts", "tomorrow 8:00 AM, because of quiet hours": a mode and when it goes out, as Send Options tell the sender. */
export function describeGoesOut(g: GoesOut, now: number, timeZone: string): { mode: string; when: string } {
  const today = toWall(now, timeZone).date;
  const { date, time } = toWall(g.at, timeZone);
  const when = g.at <= now
    ? "now"
    : date === today
    ? `today ${formatClock(time)}`
    : date === addDays(today, 1)
    ? `tomorrow ${formatClock(time)}`
    : `${formatDate(date)}, ${formatClock(time)}`;
  const why = g.quiet === "waits"
    ? ", because of quiet hours"
    : g.quiet === "emergency"
    ? ", in quiet hours: Emergency messages do not wait"
    : g.quiet === "chosen"
    ? ", in quiet hours, as you chose"
    : "";
  return { mode: MODE_WORD[g.mode], when: `${when}${why}` };
}

/** "8:00 AM–9:00 PM", never broken across lines. */
export function describeWindow(window: DailyWindow): string {
  const clock = (t: string) => formatClock(t).replace(" ", "\u00a0");
  return `${clock(window.start)}\u2060–\u2060${clock(window.end)}`;
}
