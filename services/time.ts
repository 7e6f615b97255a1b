/**
 * Wall-clock time in a district's time zone. Schedules are stored as local
 * dates and HH:MM times and turned into instants only when needed, so
 * "Monday at 7:00 AM" stays 7:00 AM across daylight-saving changes.
 */

/** The clock is a service so tests can move time without fake timers. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** Building an Intl.DateTimeFormat costs far more than using one: one per zone and use, kept. */
function cachedFormat(options: Intl.DateTimeFormatOptions): (timeZone: string) => Intl.DateTimeFormat {
  const cache = new Map<string, Intl.DateTimeFormat>();
  return (timeZone) => {
    let f = cache.get(timeZone);
    if (!f) {
      f = new Intl.DateTimeFormat("en-US", { ...options, timeZone });
      cache.set(timeZone, f);
    }
    return f;
  };
}

const partsFormat = cachedFormat({
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

export interface WallTime {
  date: string;
  time: string;
}

/** The local date (YYYY-MM-DD) and time (HH:MM) of an instant in a zone. */
export function toWall(instant: number, timeZone: string): WallTime {
  const p: Record<string, string> = {};
  for (const { type, value } of partsFormat(timeZone).formatToParts(instant)) {
    p[type] = value;
  }
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    time: `${p.hour}:${p.minute}`,
  };
}

/** The zone's offset from UTC at an instant, in ms (local − UTC), to the second. */
export function offsetAt(instant: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const { type, value } of partsFormat(timeZone).formatToParts(instant)) {
    p[type] = Number(value);
  }
  const asUtc = Date.UTC(
    p.year,
    p.month - 1,
    p.day,
    p.hour,
    p.minute,
    p.second,
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of a local date and time in a zone.
 *
 * Rule for the two DST edge cases (the same as Temporal's "compatible"):
 * - a time that does not exist (2:30 AM on the spring-forward day) moves
 *   forward by the length of the gap: 3:30 AM daylight time;
 * - a time that happens twice (1:30 AM on the fall-back day) is the first
 *   of the two, daylight time.
 */
export function fromWall(date: string, time: string, timeZone: string): number {
  const [y, mo, d] = date.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const naive = Date.UTC(y, mo - 1, d, h, mi);
  const before = offsetAt(naive - 86_400_000, timeZone);
  const after = offsetAt(naive + 86_400_000, timeZone);
  const candidates = [naive - before, naive - after]
    .filter((t) => {
      const w = toWall(t, timeZone);
      return w.date === date && w.time === time;
    })
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0];
  // In a gap: keep the offset from before the change, which lands after it.
  return naive - before;
}

/**
 * A YYYY-MM-DD that exists, in the years a school message can concern.
 * Dates far outside them (year 0, 9999, +275760) make Date arithmetic
 * overflow, so they are refused where typed rather than handled everywhere.
 */
export function isCalendarDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1900 || y > 2199) return false;
  const back = new Date(Date.UTC(y, mo - 1, d));
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const displayFormat = cachedFormat({
  weekday: "short",
  month: "short",
  day: "numeric",
  year: "numeric",
  hour: "numeric",
  minute: "2-digit",
  timeZoneName: "short",
});

/** "Mon, Dec 7, 2026, 7:00 AM CST" in the district's zone. */
export function formatInstant(instant: number, timeZone: string): string {
  return displayFormat(timeZone).format(instant);
}

/** "7:00 AM" from "07:00". */
export function formatClock(time: string): string {
  const [h, m] = time.split(":").map(Number);
  const suffix = h < 12 ? "AM" : "PM";
  return `${h % 12 === 0 ? 12 : h % 12}:${String(m).padStart(2, "0")} ${suffix}`;
}

/** "Mon, Dec 7, 2026" for a local date. */
export function formatDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Intl.DateTimeFormat("en-US", {
    timeZone: "UTC",
    weekday: "short",
    month: "short",
    day: "numeric",
    year: "numeric",
  }).format(Date.UTC(y, m - 1, d));
}
