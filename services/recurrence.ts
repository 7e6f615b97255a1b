/**
 * Expanding a schedule into occurrences. A recurring schedule's RRULE is
 * evaluated on floating local dates (midnight UTC stands for the local day),
 * and each day's per-mode HH:MM times become instants in the district's zone
 * only at the end, so DST never shifts a wall-clock delivery time.
 */
import rrulePkg from "rrule";
import type { Calendar, Mode, Schedule } from "./model.ts";
import { fromWall } from "./time.ts";

const { RRule } = rrulePkg;
type RRuleInstance = InstanceType<typeof RRule>;

export interface Occurrence {
  date: string;
  /** Earliest delivery instant of the day across modes. */
  at: number;
  times: Partial<Record<Mode, number>>;
  skipped?: "skip date" | "no school";
  skipReason?: string;
}

function floating(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

export function buildRule(
  schedule: Extract<Schedule, { kind: "recurring" }>,
): RRuleInstance {
  const options = RRule.parseString(schedule.rule);
  return new RRule({
    ...options,
    dtstart: floating(schedule.startDate),
    until: schedule.endDate ? floating(schedule.endDate) : options.until ?? null,
  });
}

/** The pattern in words: "every week on Monday, Wednesday". */
export function describeSchedule(schedule: Schedule): string {
  if (schedule.kind === "once") return "One time";
  const text = buildRule(schedule).toText();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function dayTimes(
  schedule: Schedule,
  date: string,
  timeZone: string,
): Occurrence {
  const times: Partial<Record<Mode, number>> = {};
  let at = Infinity;
  for (
    const [mode, time] of Object.entries(schedule.times) as [Mode, string][]
  ) {
    const instant = fromWall(date, time, timeZone);
    times[mode] = instant;
    at = Math.min(at, instant);
  }
  return { date, at, times };
}

/**
 * Occurrences whose first delivery is at or after `from`, in order, up to
 * `limit`. With `includeSkipped`, skipped days are listed and marked (for
 * View Details) and do not count toward the limit.
 */
export function occurrences(
  schedule: Schedule,
  opts: {
    from: number;
    limit: number;
    timeZone: string;
    calendar?: Calendar;
    includeSkipped?: boolean;
  },
): Occurrence[] {
  if (schedule.kind === "once") {
    const o = dayTimes(schedule, schedule.date, opts.timeZone);
    return o.at >= opts.from ? [o] : [];
  }
  const skip = new Set(schedule.skipDates);
  const noSchool = new Map(
    schedule.skipNoSchoolDays ? (opts.calendar?.noSchoolDays ?? []).map((d) => [d.date, d.reason]) : [],
  );
  const out: Occurrence[] = [];
  let kept = 0;
  // Start a day early: the day's delivery instant decides, not the date.
  const fromDay = new Date(opts.from - 86_400_000 * 2);
  const rule = buildRule(schedule);
  rule.all((d: Date) => {
    if (d < fromDay) return true;
    const date = d.toISOString().slice(0, 10);
    const o = dayTimes(schedule, date, opts.timeZone);
    if (o.at < opts.from) return true;
    if (skip.has(date)) {
      if (opts.includeSkipped) out.push({ ...o, skipped: "skip date" });
    } else if (noSchool.has(date)) {
      if (opts.includeSkipped) {
        out.push({
          ...o,
          skipped: "no school",
          skipReason: noSchool.get(date),
        });
      }
    } else {
      out.push(o);
      kept++;
    }
    return kept < opts.limit && out.length < opts.limit * 4 + 50;
  });
  return out;
}

/** The next delivery instant, or null when the schedule is finished. */
export function nextDelivery(
  schedule: Schedule,
  from: number,
  timeZone: string,
  calendar?: Calendar,
): number | null {
  const [next] = occurrences(schedule, { from, limit: 1, timeZone, calendar });
  return next ? next.at : null;
}
