/**
 * Step 3, Send Options: the form becomes a message type, modes and a
 * schedule (an RRULE when it repeats), and a schedule becomes the form
 * again for Edit Message. The two are a round trip: change one, change both.
 */
import {
  type Calendar,
  type District,
  MESSAGE_TYPE_LABEL,
  MessageType,
  Mode,
  MODE_LABEL,
  type Schedule,
  type User,
} from "../model.ts";
import { nextDelivery } from "../recurrence.ts";
import { addDays, fromWall, isCalendarDate, toWall } from "../time.ts";
import { type Errors, NO_RIGHT } from "./errors.ts";
import { type ContentForm, SendForm, UNSKIP, WEEKDAYS } from "./forms.ts";

/**
 * Send Options' dates lie within this many days (five years) of today. The
 * pattern is expanded from its start on every page of the wizard and at
 * every occurrence, so a start in year 0 took seconds, and dates past 9999
 * cannot be shown at all.
 */
const DATE_RANGE_DAYS = 1826;

/** Why a typed date is refused, or undefined; `what` names it in the message. */
function dateProblem(s: string, today: string, what: string): string | undefined {
  if (!isCalendarDate(s)) return `Enter ${what} as YYYY-MM-DD`;
  const [min, max] = [addDays(today, -DATE_RANGE_DAYS), addDays(today, DATE_RANGE_DAYS)];
  if (s < min || s > max) return `Choose ${what} within five years of today, from ${min} to ${max}`;
}
const validTime = (s: string) => /^([01]\d|2[0-3]):[0-5]\d$/.test(s);

/** What Send Options make of a message: its type, modes, schedule and how it treats quiet hours. */
export interface SendOptions {
  type: MessageType;
  modes: Mode[];
  schedule: Schedule;
  sendNow: boolean;
  outsideQuietHours: boolean;
}

/**
 * Step 3: the Send Options as a message type, modes and schedule, or the
 * errors by field. Rights are enforced here, not only hidden in the form.
 * `keptOutsideQuietHours`: the message being edited was sent outside quiet
 * hours, which its editor may keep without the right (never turn on).
 */
export function buildSendOptions(
  form: SendForm,
  content: ContentForm,
  user: User,
  district: District,
  calendar: Calendar | null,
  now: number,
  keptOutsideQuietHours = false,
): { errors: Errors } | SendOptions {
  const errors: Errors = {};
  const type = MessageType.safeParse(form.type);
  if (!type.success) errors.type = "Choose General, Priority or Emergency";
  else if (!user.rights.messageTypes.includes(type.data)) {
    errors.type = `${NO_RIGHT} to send ${MESSAGE_TYPE_LABEL[type.data]} messages`;
  }
  const modes: Mode[] = [];
  for (const m of form.modes) {
    const mode = Mode.safeParse(m);
    if (!mode.success) errors.modes = `"${m}" is not a delivery mode`;
    else if (!user.rights.modes.includes(mode.data)) {
      errors.modes = `${NO_RIGHT} to send by ${MODE_LABEL[mode.data]}`;
    } else {
      modes.push(mode.data);
      const field = mode.data === "email" ? "emailHtml" : mode.data;
      if (!content[field].trim() && !(mode.data === "email" && content.emailText.trim())) {
        errors.modes = `${MODE_LABEL[mode.data]} is chosen but has no content: write it in step 2, Content`;
      }
    }
  }
  if (form.modes.length === 0) errors.modes = "Choose at least one delivery mode";
  // A field the form shows only with the right: posted without it, it is refused by name, never ignored.
  if (form.outsideQuietHours && !user.rights.outsideQuietHours && !keptOutsideQuietHours) {
    errors.outsideQuietHours = `"Send outside quiet hours" (outsideQuietHours) is not one of your tool rights: ` +
      "texts and calls wait for quiet hours";
  }

  const today = toWall(now, district.timeZone);
  const sendNow = form.when === "now";
  if (sendNow && form.repeat !== "none") errors.when = "A recurring message needs a start date and time";
  const date = sendNow ? today.date : form.date;
  const time = sendNow ? today.time : form.time;
  const dateError = sendNow ? undefined : dateProblem(date, today.date, "a date");
  if (dateError) errors.date = dateError;
  if (!sendNow && !validTime(time)) errors.time = "Enter a time as HH:MM (24-hour)";
  const times: Partial<Record<Mode, string>> = {};
  for (const m of modes) {
    const own = form[`time_${m}`];
    if (own && !sendNow && !validTime(own)) errors[`time_${m}`] = "Enter a time as HH:MM (24-hour)";
    times[m] = own && !sendNow ? own : time;
  }
  if (Object.keys(errors).length > 0) return { errors };

  let schedule: Schedule;
  if (form.repeat === "none") {
    schedule = { kind: "once", date, times };
  } else {
    const rule = [`FREQ=${form.repeat.toUpperCase()}`];
    const interval = form.interval.trim() || "1";
    if (!/^[1-9]\d?$/.test(interval)) errors.interval = "Enter a whole number from 1 to 99";
    else if (interval !== "1") rule.push(`INTERVAL=${interval}`);
    if (form.repeat === "weekly") {
      const days = form.weekdays.filter((d) => (WEEKDAYS as readonly string[]).includes(d));
      if (days.length === 0) errors.weekdays = "Choose at least one day of the week";
      rule.push(`BYDAY=${WEEKDAYS.filter((d) => days.includes(d)).join(",")}`);
    }
    if (form.repeat === "monthly") {
      if (form.monthlyBy === "day") {
        const day = form.monthDay.trim().toLowerCase();
        if (day === "last") rule.push("BYMONTHDAY=-1");
        else if (/^([1-9]|[12]\d|3[01])$/.test(day)) rule.push(`BYMONTHDAY=${day}`);
        else errors.monthDay = 'Enter a day of the month from 1 to 31, or "last"';
      } else {
        if (!/^(-1|[1-4])$/.test(form.nth)) errors.nth = "Choose first, second, third, fourth or last";
        if (!(WEEKDAYS as readonly string[]).includes(form.nthWeekday)) errors.nthWeekday = "Choose a day of the week";
        rule.push(`BYDAY=${form.nth === "-1" ? "-1" : `+${form.nth}`}${form.nthWeekday}`);
      }
    }
    let endDate: string | undefined;
    if (form.ends === "count") {
      if (!/^[1-9]\d{0,2}$/.test(form.count.trim())) errors.count = "Enter a number of occurrences from 1 to 999";
      else rule.push(`COUNT=${form.count.trim()}`);
    } else {
      endDate = form.endDate.trim() || calendar?.endDate;
      const endError = dateProblem(endDate ?? "", today.date, "an end date");
      if (endError) errors.endDate = endError;
      else if (endDate! < date) errors.endDate = "The end date is before the start date";
    }
    const skipDates = skipDateList(form);
    const skipProblem = skipDates
      .map((d) =>
        isCalendarDate(d) ? dateProblem(d, today.date, `the skip date ${d}`) : `"${d}" is not a date as YYYY-MM-DD`
      )
      .find((problem) => problem !== undefined);
    if (skipProblem) errors.skipDates = skipProblem;
    schedule = {
      kind: "recurring",
      rule: rule.join(";"),
      startDate: date,
      endDate,
      times,
      skipDates: [...new Set(skipDates)].sort(),
      skipNoSchoolDays: form.skipNoSchoolDays,
    };
  }
  if (Object.keys(errors).length > 0) return { errors };

  if (!sendNow) {
    const first = Math.min(...Object.values(times).map((t) => fromWall(date, t!, district.timeZone)));
    if (schedule.kind === "once" && first <= now) {
      errors.date = "That date and time is in the past. Choose a later time, or Send Now to send it now";
    }
    if (
      schedule.kind === "recurring" && nextDelivery(schedule, now, district.timeZone, calendar ?? undefined) === null
    ) {
      errors.endDate = "This pattern has no delivery after now: move the end date later or the start earlier";
    }
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { type: type.data!, modes, schedule, sendNow, outsideQuietHours: form.outsideQuietHours };
}

/** The skip dates as a list, in the order kept. */
export function skipDateList(form: SendForm): string[] {
  return form.skipDates.split(/[\n,;]+/).map((d) => d.trim()).filter(Boolean);
}

/**
 * The skip dates after a post of Send Options: the one whose Remove was
 * pressed goes, and the date typed in "Skip a date" joins them, sorted and
 * once each. A date that cannot be one stays typed, with its reason.
 */
export function editSkipDates(form: SendForm, go: string, today: string): Errors {
  const dates = skipDateList(form).filter((d) => !go.startsWith(UNSKIP) || d !== go.slice(UNSKIP.length));
  const typed = form.skipDate.trim();
  const problem = typed
    ? dateProblem(typed, today, "a date to skip")
    : go === "skip-add"
    ? "Choose a date to skip"
    : "";
  if (!problem && typed) {
    dates.push(typed);
    form.skipDate = "";
  }
  form.skipDates = [...new Set(dates)].sort().join("\n");
  return problem ? { skipDate: problem } : {};
}

/** The RRULE's parts back as Send Options fields, for Edit Message. */
export function sendFromSchedule(schedule: Schedule, type: string, modes: Mode[], outsideQuietHours = false): SendForm {
  const times = schedule.times;
  const first = Object.values(times)[0] ?? "08:00";
  const base: Record<string, unknown> = {
    type,
    modes,
    when: "later",
    time: first,
    outsideQuietHours: outsideQuietHours ? "on" : "",
  };
  for (const [mode, t] of Object.entries(times)) if (t !== first) base[`time_${mode}`] = t;
  if (schedule.kind === "once") return SendForm.parse({ ...base, date: schedule.date });
  const parts = Object.fromEntries(schedule.rule.split(";").map((p) => p.split("=")));
  const byDay: string = parts.BYDAY ?? "";
  const nth = /^([+-]?\d)(\w\w)$/.exec(byDay);
  return SendForm.parse({
    ...base,
    date: schedule.startDate,
    repeat: String(parts.FREQ ?? "WEEKLY").toLowerCase(),
    interval: parts.INTERVAL ?? "1",
    weekdays: parts.FREQ === "WEEKLY" ? byDay.split(",").filter(Boolean) : [],
    monthlyBy: nth ? "weekday" : "day",
    monthDay: parts.BYMONTHDAY === "-1" ? "last" : parts.BYMONTHDAY ?? "",
    nth: nth ? String(Number(nth[1])) : "",
    nthWeekday: nth ? nth[2] : "",
    ends: parts.COUNT ? "count" : "date",
    count: parts.COUNT ?? "",
    endDate: schedule.endDate ?? "",
    skipDates: schedule.skipDates.join("\n"),
    skipNoSchoolDays: schedule.skipNoSchoolDays ? "on" : "",
  });
}
