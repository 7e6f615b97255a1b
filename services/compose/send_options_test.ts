import assert from "node:assert/strict";
import { userFixture } from "../../tests/support/fixtures.ts";
import { type District, DISTRICT_DEFAULTS } from "../model.ts";
import { occurrences } from "../recurrence.ts";
import { toWall } from "../time.ts";
import { refusedForRights } from "./errors.ts";
import { ContentForm, SendForm } from "./forms.ts";
import { buildSendOptions, sendFromSchedule } from "./send_options.ts";

const district: District = {
  id: "d",
  name: "D",
  timeZone: "America/Chicago",
  ...DISTRICT_DEFAULTS,
};
const NOW = Date.parse("2026-11-26T16:00:00Z");
const content = ContentForm.parse({ subject: "S", emailHtml: "<p>Hi</p>", text: "Hi" });
const admin = userFixture("a", {
  modes: ["inbox", "email", "text", "voice"],
  messageTypes: ["general", "priority", "emergency"],
});
const build = (fields: Record<string, unknown>, user = admin) =>
  buildSendOptions(
    SendForm.parse({ type: "general", modes: "email", when: "later", date: "2026-12-01", time: "07:00", ...fields }),
    content,
    user,
    district,
    null,
    NOW,
  );

Deno.test("Send Options become an RRULE: weekly days, monthly by day, last day, nth weekday, interval, count", () => {
  const rule = (f: Record<string, unknown>) => {
    const r = build({ repeat: "weekly", ends: "date", endDate: "2027-06-01", ...f });
    assert.ok(!("errors" in r), JSON.stringify(r));
    return r.schedule.kind === "recurring" ? r.schedule.rule : "";
  };
  assert.equal(rule({ weekdays: ["FR", "MO"] }), "FREQ=WEEKLY;BYDAY=MO,FR");
  assert.equal(rule({ weekdays: "TU", interval: "2" }), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU");
  assert.equal(rule({ repeat: "monthly", monthlyBy: "day", monthDay: "31" }), "FREQ=MONTHLY;BYMONTHDAY=31");
  assert.equal(rule({ repeat: "monthly", monthlyBy: "day", monthDay: "last" }), "FREQ=MONTHLY;BYMONTHDAY=-1");
  assert.equal(
    rule({ repeat: "monthly", monthlyBy: "weekday", nth: "2", nthWeekday: "TU" }),
    "FREQ=MONTHLY;BYDAY=+2TU",
  );
  assert.equal(
    rule({ repeat: "monthly", monthlyBy: "weekday", nth: "-1", nthWeekday: "FR" }),
    "FREQ=MONTHLY;BYDAY=-1FR",
  );
  assert.equal(rule({ repeat: "daily", ends: "count", count: "10" }), "FREQ=DAILY;COUNT=10");
});

Deno.test("per-mode times, Send Now, and the earliest time decides the past check", () => {
  const r = build({ modes: ["email", "text"], time_text: "18:30" });
  assert.ok(!("errors" in r));
  assert.deepEqual(r.schedule.times, { email: "07:00", text: "18:30" });
  const now = build({ when: "now", date: "", time: "" });
  assert.ok(!("errors" in now));
  assert.equal(now.sendNow, true);
  assert.deepEqual(now.schedule, { kind: "once", date: "2026-11-26", times: { email: "10:00" } });
  const past = build({ date: "2026-11-26", time: "09:59" });
  assert.ok("errors" in past && /in the past/.test(past.errors.date));
});

Deno.test("an end date with no delivery left is refused; the calendar's last day is the default end", () => {
  const none = build({ repeat: "weekly", weekdays: "SU", date: "2026-11-30", ends: "date", endDate: "2026-12-05" });
  assert.ok("errors" in none && /no delivery after now/.test(none.errors.endDate));
  const noEnd = build({ repeat: "weekly", weekdays: "MO", ends: "date", endDate: "" });
  assert.ok("errors" in noEnd && /Enter an end date/.test(noEnd.errors.endDate), "no calendar: an end date is needed");
});

Deno.test("weekly at 7:00 keeps 7:00 local across the March change", () => {
  const r = buildSendOptions(
    SendForm.parse({
      type: "general",
      modes: "email",
      when: "later",
      date: "2027-03-01",
      time: "07:00",
      repeat: "weekly",
      weekdays: "MO",
      ends: "count",
      count: "3",
    }),
    content,
    admin,
    district,
    null,
    NOW,
  );
  assert.ok(!("errors" in r));
  const times = occurrences(r.schedule, { from: NOW, limit: 5, timeZone: district.timeZone })
    .map((o) => toWall(o.at, district.timeZone));
  assert.deepEqual(times, [
    { date: "2027-03-01", time: "07:00" },
    { date: "2027-03-08", time: "07:00" },
    { date: "2027-03-15", time: "07:00" },
  ]);
});

Deno.test("rights are enforced on the server and marked as such", () => {
  const teacher = userFixture("t", { modes: ["email"], messageTypes: ["general"] });
  const r = build({ type: "emergency", modes: ["email", "voice"] }, teacher);
  assert.ok("errors" in r);
  assert.match(r.errors.type, /right to send Emergency/);
  assert.match(r.errors.modes, /right to send by Voice/);
  assert.equal(refusedForRights(r.errors), true);
  const bad = build({ date: "tomorrow" });
  assert.ok("errors" in bad);
  assert.equal(refusedForRights(bad.errors), false);
});

Deno.test("Edit Message reads a schedule back as the Send Options that build it again", () => {
  for (
    const fields of [
      { modes: ["email", "text"], time_text: "18:30" },
      {
        repeat: "weekly",
        weekdays: ["MO", "FR"],
        interval: "2",
        ends: "date",
        endDate: "2027-06-01",
        skipDates: "2026-12-25",
      },
      { repeat: "monthly", monthlyBy: "day", monthDay: "last", ends: "count", count: "10" },
      { repeat: "monthly", monthlyBy: "weekday", nth: "-1", nthWeekday: "FR", ends: "count", count: "3" },
    ]
  ) {
    const first = build(fields);
    assert.ok(!("errors" in first), JSON.stringify(first));
    const again = buildSendOptions(
      sendFromSchedule(first.schedule, first.type, first.modes),
      content,
      admin,
      district,
      null,
      NOW,
    );
    assert.deepEqual(again, first);
  }
});

Deno.test("Send outside quiet hours: only with the right, or kept from the message edited; a 400, not a 403", () => {
  const chosen = { modes: ["email", "text"], outsideQuietHours: "on" };
  const refused = build(chosen);
  assert.ok("errors" in refused);
  assert.match(refused.errors.outsideQuietHours, /"Send outside quiet hours" \(outsideQuietHours\) is not one of your/);
  assert.equal(refusedForRights(refused.errors), false, "a field the form never showed: bad input, named");
  const form = SendForm.parse({ type: "general", modes: chosen.modes, when: "now", outsideQuietHours: "on" });
  const kept = buildSendOptions(form, content, admin, district, null, NOW, true);
  assert.ok(!("errors" in kept) && kept.outsideQuietHours);
  const allowed = build(chosen, { ...admin, rights: { ...admin.rights, outsideQuietHours: true } });
  assert.ok(!("errors" in allowed) && allowed.outsideQuietHours);
  const again = sendFromSchedule(allowed.schedule, allowed.type, allowed.modes, allowed.outsideQuietHours);
  assert.equal(again.outsideQuietHours, true, "Edit Message reads the choice back");
  const unchosen = build({ modes: ["email", "text"] });
  assert.ok(!("errors" in unchosen) && unchosen.outsideQuietHours === false);
});
