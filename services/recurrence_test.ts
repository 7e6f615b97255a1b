import assert from "node:assert/strict";
import type { Calendar, Schedule } from "./model.ts";
import { describeSchedule, nextDelivery, occurrences } from "./recurrence.ts";
import { ruleProblem } from "./rule.ts";
import { Schedule as ScheduleSchema } from "./model.ts";
import { toWall } from "./time.ts";

const TZ = "America/Chicago";
const from = Date.parse("2026-10-20T00:00:00Z");
const weekly = (extra: Partial<Extract<Schedule, { kind: "recurring" }>> = {}): Schedule => ({
  kind: "recurring",
  rule: "FREQ=WEEKLY;BYDAY=MO",
  startDate: "2026-10-01",
  times: { email: "07:00" },
  skipDates: [],
  skipNoSchoolDays: false,
  ...extra,
});
const walls = (s: Schedule, n: number, f = from) =>
  occurrences(s, { from: f, limit: n, timeZone: TZ }).map((o) => toWall(o.at, TZ));

Deno.test("weekly at 7:00 stays 7:00 local across the November DST change", () => {
  const got = walls(weekly(), 3);
  assert.deepEqual(got, [
    { date: "2026-10-26", time: "07:00" },
    { date: "2026-11-02", time: "07:00" },
    { date: "2026-11-09", time: "07:00" },
  ]);
  const [a, b] = occurrences(weekly(), { from, limit: 2, timeZone: TZ });
  assert.equal(b.at - a.at, 7 * 86_400_000 + 3_600_000, "the UTC gap is a week plus the hour given back");
});

Deno.test("weekly at 2:30 AM on the spring-forward Sunday follows the gap rule", () => {
  const s = weekly({ rule: "FREQ=WEEKLY;BYDAY=SU", times: { voice: "02:30" }, startDate: "2027-03-01" });
  const got = walls(s, 3, Date.parse("2027-03-01T00:00:00Z"));
  assert.deepEqual(got.map((w) => `${w.date} ${w.time}`), ["2027-03-07 02:30", "2027-03-14 03:30", "2027-03-21 02:30"]);
});

Deno.test("skip dates and the calendar's no-school days are skipped, and listed when asked", () => {
  const calendar: Calendar = {
    id: "c",
    schoolId: "s",
    name: "c",
    schoolYear: "2026-27",
    startDate: "2026-08-17",
    endDate: "2027-05-28",
    noSchoolDays: [{ date: "2026-11-02", reason: "Teacher work day" }],
  };
  const skipping = { skipDates: ["2026-10-26"], skipNoSchoolDays: true };
  const s = weekly(skipping);
  const kept = occurrences(s, { from, limit: 2, timeZone: TZ, calendar });
  assert.deepEqual(kept.map((o) => o.date), ["2026-11-09", "2026-11-16"]);
  const listed = occurrences(s, { from, limit: 2, timeZone: TZ, calendar, includeSkipped: true });
  assert.deepEqual(listed.map((o) => [o.date, o.skipped ?? "", o.skipReason ?? ""]), [
    ["2026-10-26", "skip date", ""],
    ["2026-11-02", "no school", "Teacher work day"],
    ["2026-11-09", "", ""],
    ["2026-11-16", "", ""],
  ]);
  const ignoring = occurrences(weekly({ ...skipping, skipNoSchoolDays: false }), {
    from,
    limit: 2,
    timeZone: TZ,
    calendar,
  });
  assert.deepEqual(ignoring.map((o) => o.date), ["2026-11-02", "2026-11-09"]);
});

Deno.test("month ends: the 31st, February 29, the last Friday, the second Tuesday", () => {
  const d = (rule: string, n: number, start = "2026-10-01") =>
    occurrences(weekly({ rule, startDate: start }), { from, limit: n, timeZone: TZ }).map((o) => o.date);
  assert.deepEqual(d("FREQ=MONTHLY;BYMONTHDAY=31", 3), ["2026-10-31", "2026-12-31", "2027-01-31"]);
  assert.deepEqual(d("FREQ=MONTHLY;BYMONTHDAY=-1", 3), ["2026-10-31", "2026-11-30", "2026-12-31"]);
  assert.deepEqual(d("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", 2), ["2028-02-29", "2032-02-29"]);
  assert.deepEqual(d("FREQ=MONTHLY;BYDAY=-1FR", 3), ["2026-10-30", "2026-11-27", "2026-12-25"]);
  assert.deepEqual(d("FREQ=MONTHLY;BYDAY=+2TU", 2), ["2026-11-10", "2026-12-08"]);
});

Deno.test("end by date and end by count; a finished series has no next delivery", () => {
  const byDate = weekly({ endDate: "2026-11-02" });
  assert.deepEqual(occurrences(byDate, { from, limit: 5, timeZone: TZ }).map((o) => o.date), [
    "2026-10-26",
    "2026-11-02",
  ]);
  const byCount = weekly({ rule: "FREQ=WEEKLY;BYDAY=MO;COUNT=4" });
  assert.deepEqual(occurrences(byCount, { from, limit: 5, timeZone: TZ }).map((o) => o.date), [
    "2026-10-26",
  ]);
  assert.equal(nextDelivery(byDate, Date.parse("2026-11-03T00:00:00Z"), TZ), null);
});

Deno.test("one-time schedules; per-mode times take the earliest as the delivery instant", () => {
  const once: Schedule = { kind: "once", date: "2026-12-01", times: { email: "07:30", voice: "18:00" } };
  const [o] = occurrences(once, { from, limit: 1, timeZone: TZ });
  assert.deepEqual(toWall(o.at, TZ), { date: "2026-12-01", time: "07:30" });
  assert.deepEqual(toWall(o.times.voice!, TZ), { date: "2026-12-01", time: "18:00" });
  assert.equal(nextDelivery(once, Date.parse("2026-12-02T00:00:00Z"), TZ), null);
});

Deno.test("patterns in words, and bad patterns named", () => {
  assert.equal(describeSchedule(weekly({ rule: "FREQ=WEEKLY;BYDAY=MO,WE" })), "Every week on Monday, Wednesday");
  assert.equal(describeSchedule({ kind: "once", date: "2026-12-01", times: {} }), "One time");
  assert.equal(ruleProblem("FREQ=WEEKLY;BYDAY=MO"), undefined);
  assert.match(ruleProblem("BYDAY=MO") ?? "", /no frequency/);
  assert.match(ruleProblem("FREQ=HOURLY") ?? "", /only daily, weekly, monthly/);
  assert.match(ruleProblem("FREQ=NOPE") ?? "", /only daily, weekly/);
  assert.equal(ruleProblem("FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=2;COUNT=10"), undefined);
  assert.match(ruleProblem("FREQ=DAILY;FREQ=WEEKLY") ?? "", /twice/);
  assert.match(ruleProblem("FREQ=DAILY;BYHOUR=3") ?? "", /unsupported part "BYHOUR"/);
  assert.match(ruleProblem("FREQ=WEEKLY;BYDAY=ZZ") ?? "", /cannot be read/);
  // A stored schedule with a rule outside the subset fails where it is read, not deep inside dispatch.
  assert.throws(() => ScheduleSchema.parse(weekly({ rule: "FREQ=WEEKLY;BYDAY=ZZ" })), /BYDAY value .*ZZ/);
  assert.doesNotThrow(() => ScheduleSchema.parse(weekly()));
});
