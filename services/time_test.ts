import assert from "node:assert/strict";
import { addDays, formatClock, fromWall, isCalendarDate, toWall } from "./time.ts";

const TZ = "America/Chicago";

Deno.test("fromWall/toWall round-trip standard and daylight time", () => {
  assert.equal(new Date(fromWall("2026-07-01", "07:00", TZ)).toISOString(), "2026-07-01T12:00:00.000Z");
  assert.equal(new Date(fromWall("2026-12-01", "07:00", TZ)).toISOString(), "2026-12-01T13:00:00.000Z");
  assert.deepEqual(toWall(Date.parse("2026-12-01T13:00:00Z"), TZ), { date: "2026-12-01", time: "07:00" });
});

Deno.test("a time in the spring-forward gap moves forward by the gap", () => {
  // 2027-03-14: clocks go from 2:00 CST to 3:00 CDT; 2:30 does not exist.
  const t = fromWall("2027-03-14", "02:30", TZ);
  assert.deepEqual(toWall(t, TZ), { date: "2027-03-14", time: "03:30" });
});

Deno.test("a time that happens twice on the fall-back day is the first (daylight) one", () => {
  // 2026-11-01: 1:30 happens at 06:30Z (CDT) and again at 07:30Z (CST).
  assert.equal(new Date(fromWall("2026-11-01", "01:30", TZ)).toISOString(), "2026-11-01T06:30:00.000Z");
});

Deno.test("other zones and the date helpers", () => {
  assert.equal(new Date(fromWall("2026-12-01", "07:00", "Pacific/Honolulu")).toISOString(), "2026-12-01T17:00:00.000Z");
  assert.equal(addDays("2028-02-28", 1), "2028-02-29");
  assert.equal(addDays("2027-01-01", -1), "2026-12-31");
  assert.equal(formatClock("00:05"), "12:05 AM");
  assert.equal(formatClock("12:00"), "12:00 PM");
  assert.equal(formatClock("18:30"), "6:30 PM");
});

Deno.test("isCalendarDate: real dates of 1900–2199 only", () => {
  for (const ok of ["2026-11-27", "2028-02-29", "1900-01-01", "2199-12-31"]) assert.equal(isCalendarDate(ok), true, ok);
  for (
    const bad of ["2026-02-30", "2027-02-29", "0000-01-01", "9999-12-31", "+275760-09-13", "2026-13-01", "2026-1-1", ""]
  ) {
    assert.equal(isCalendarDate(bad), false, bad);
  }
});
