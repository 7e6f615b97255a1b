import assert from "node:assert/strict";
import type { District } from "./model.ts";
import { nextInWindow, quietHoursWindow, whenModesGoOut } from "./quiet_hours.ts";

const TZ = "America/Chicago";
const TEXTS = { start: "08:00", end: "21:00" };
/** The instant as an ISO string, so a failure shows both sides readably. */
const iso = (t: number) => new Date(t).toISOString();
const next = (from: string, window = TEXTS) => iso(nextInWindow(Date.parse(from), window, TZ));

const district: District = {
  id: "d",
  name: "District",
  timeZone: TZ,
  language: "en",
  dialingWindow: { start: "07:00", end: "21:00" },
  textWindow: TEXTS,
  largeSendThreshold: 1000,
};

Deno.test("quiet hours: inside the window is now; before it, its start today; after it, its start tomorrow", () => {
  // Thursday 26 November 2026, standard time (UTC−6).
  assert.equal(next("2026-11-26T16:00:00.000Z"), "2026-11-26T16:00:00.000Z", "10:00 AM: now");
  assert.equal(next("2026-11-26T14:00:00.000Z"), "2026-11-26T14:00:00.000Z", "8:00 AM sharp is inside");
  assert.equal(next("2026-11-26T11:00:00.000Z"), "2026-11-26T14:00:00.000Z", "5:00 AM: 8:00 AM today");
  assert.equal(next("2026-11-27T02:59:59.000Z"), "2026-11-27T02:59:59.000Z", "8:59:59 PM is inside");
  assert.equal(next("2026-11-27T03:00:00.000Z"), "2026-11-27T14:00:00.000Z", "9:00 PM, the end: 8:00 AM tomorrow");
  assert.equal(next("2026-11-27T05:59:00.000Z"), "2026-11-27T14:00:00.000Z", "11:59 PM: 8:00 AM tomorrow");
  assert.equal(next("2026-11-27T06:00:00.000Z"), "2026-11-27T14:00:00.000Z", "midnight: 8:00 AM the same day");
});

Deno.test("quiet hours on the spring-forward day (America/Chicago, 8 March 2026: 2:00 CST → 3:00 CDT)", () => {
  // 11:30 PM on the evening before: the next morning's 8:00 is daylight time, and 24 hours on is already the 9th.
  assert.equal(next("2026-03-08T05:30:00.000Z"), "2026-03-08T13:00:00.000Z", "8:00 AM CDT on the 8th");
  // A start the clocks skip opens the window when they jump, the first moment the clock reads past it.
  const skipped = { start: "02:30", end: "06:00" };
  assert.equal(next("2026-03-08T07:00:00.000Z", skipped), "2026-03-08T08:00:00.000Z", "1:00 AM CST → 3:00 AM CDT");
  // A window wholly inside the skipped hour has no moment that day: the next day's start.
  const lost = { start: "02:00", end: "02:45" };
  assert.equal(next("2026-03-08T07:00:00.000Z", lost), "2026-03-09T07:00:00.000Z", "2:00 AM CDT on the 9th");
  // After the jump, plain daylight time.
  assert.equal(next("2026-03-09T01:30:00.000Z"), "2026-03-09T01:30:00.000Z", "8:30 PM CDT is inside");
  assert.equal(next("2026-03-09T02:30:00.000Z"), "2026-03-09T13:00:00.000Z", "9:30 PM CDT: 8:00 AM CDT");
});

Deno.test("quiet hours on the fall-back day (America/Chicago, 1 November 2026: 2:00 CDT → 1:00 CST)", () => {
  // 10:00 PM CDT the evening before: 8:00 AM the next morning is standard time, 25 hours later.
  assert.equal(next("2026-11-01T03:00:00.000Z"), "2026-11-01T14:00:00.000Z", "8:00 AM CST");
  // The hour from 1:00 to 2:00 happens twice; the wall clock decides both times.
  const late = { start: "01:30", end: "05:00" };
  assert.equal(next("2026-11-01T06:10:00.000Z", late), "2026-11-01T06:30:00.000Z", "1:10 CDT → 1:30 CDT");
  assert.equal(next("2026-11-01T06:45:00.000Z", late), "2026-11-01T06:45:00.000Z", "1:45 CDT is inside");
  assert.equal(next("2026-11-01T07:10:00.000Z", late), "2026-11-01T07:30:00.000Z", "1:10 CST reads before 1:30 again");
  const early = { start: "00:00", end: "01:30" };
  assert.equal(
    next("2026-11-01T06:40:00.000Z", early),
    "2026-11-01T07:00:00.000Z",
    "1:40 CDT → 1:00 CST, inside again",
  );
  assert.equal(next("2026-11-01T07:10:00.000Z", early), "2026-11-01T07:10:00.000Z", "1:10 CST is inside");
});

Deno.test("quiet hours: windows near midnight", () => {
  const night = { start: "00:00", end: "06:00" };
  assert.equal(next("2026-11-26T05:00:00.000Z", night), "2026-11-26T06:00:00.000Z", "11:00 PM → midnight");
  assert.equal(next("2026-11-26T06:00:00.000Z", night), "2026-11-26T06:00:00.000Z", "midnight is inside");
  const evening = { start: "22:00", end: "23:59" };
  assert.equal(next("2026-11-27T05:58:59.999Z", evening), "2026-11-27T05:58:59.999Z", "11:58:59 PM is inside");
  assert.equal(next("2026-11-27T05:59:30.000Z", evening), "2026-11-28T04:00:00.000Z", "11:59:30 PM → 10 PM tomorrow");
});

Deno.test("quiet hours: which modes wait, and when each mode of a message goes out", () => {
  const general = { type: "general" as const, modes: ["inbox", "email", "text", "voice"] as const };
  assert.deepEqual(quietHoursWindow(district, "text", general), TEXTS);
  assert.deepEqual(quietHoursWindow(district, "voice", general), district.dialingWindow);
  assert.equal(quietHoursWindow(district, "email", general), null);
  assert.equal(quietHoursWindow(district, "text", { type: "emergency" }), null);
  assert.equal(quietHoursWindow(district, "voice", { type: "priority", outsideQuietHours: true }), null);

  const at730 = Date.parse("2026-11-26T13:30:00.000Z"); // 7:30 AM: calls may dial, texts wait for 8:00.
  const times = { inbox: at730, email: at730, text: at730, voice: at730 };
  const eight = Date.parse("2026-11-26T14:00:00.000Z");
  assert.deepEqual(whenModesGoOut(district, { ...general, modes: [...general.modes] }, times), [
    { mode: "inbox", at: at730 },
    { mode: "email", at: at730 },
    { mode: "text", at: eight, quiet: "waits" },
    { mode: "voice", at: at730 },
  ]);
  assert.deepEqual(whenModesGoOut(district, { type: "emergency", modes: ["text"] }, times), [
    { mode: "text", at: at730, quiet: "emergency" },
  ]);
  assert.deepEqual(whenModesGoOut(district, { type: "general", modes: ["text"], outsideQuietHours: true }, times), [
    { mode: "text", at: at730, quiet: "chosen" },
  ]);
});
