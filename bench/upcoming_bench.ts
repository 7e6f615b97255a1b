/**
 * Upcoming Messages at district scale: 5,000 scheduled messages and 500
 * in-progress runs. `deno task bench` prints time per call; these are the
 * figures to watch when the list or its indexes change.
 */
import { audit, messageFixture, runFixture, userFixture } from "../tests/support/fixtures.ts";
import { seedDemo } from "../services/demo.ts";
import { getCalendar } from "../services/store/district.ts";
import { getMessage, saveMessage } from "../services/store/messages.ts";
import { saveRun } from "../services/store/runs.ts";
import { previewRecipients } from "../services/recipients.ts";
import { occurrences } from "../services/recurrence.ts";
import { listInProgress, listScheduled, UpcomingQuery } from "../services/upcoming.ts";

const NOW = Date.parse("2026-11-26T16:00:00Z");
const kv = await Deno.openKv(":memory:");
const db = { kv, districtId: "bench" };
for (let i = 0; i < 5000; i++) {
  const m = messageFixture(`m${i}`, {
    subject: i % 500 === 0 ? `Rare subject ${i}` : `Notice ${i}`,
    calendarId: `cal${i % 20}`,
    created: { userId: `u${i % 50}`, name: `Staff ${i % 50}`, at: "2026-11-01T00:00:00Z" },
    nextAt: NOW + i * 60_000,
  });
  await saveMessage(db, null, m, audit());
  if (i < 500) await saveRun(db, null, runFixture(`r${i}`, m, { startedAt: NOW - i * 1000, status: "sending" }));
}
const admin = userFixture("admin", { viewEditAll: true });
const teacher = userFixture("u7");
const q = (x: Record<string, string>) => UpcomingQuery.parse(x);

Deno.bench("Scheduled, All Messages, first page of 50 (5,000 messages)", async () => {
  await listScheduled(db, admin, q({ scope: "all" }));
});
Deno.bench("Scheduled, My Messages, first page (100 of 5,000 are mine)", async () => {
  await listScheduled(db, teacher, q({}));
});
Deno.bench("Scheduled, All, calendar filter (index) + subject filter (scan of 250)", async () => {
  await listScheduled(db, admin, q({ scope: "all", calendar: "cal0", subject: "rare" }));
});
Deno.bench("Scheduled, All, subject filter matching 10 of 5,000 (worst case: stops after 2,000 entries)", async () => {
  await listScheduled(db, admin, q({ scope: "all", subject: "rare" }));
});
Deno.bench("In Progress, All Messages, first page (500 runs)", async () => {
  await listInProgress(db, admin, q({ scope: "all", tab: "in-progress" }), NOW);
});

const demoKv = await Deno.openKv(":memory:");
const demoDb = { kv: demoKv, districtId: "demo" };
await seedDemo(demoDb, { now: () => NOW });
const newsletter = (await getMessage(demoDb, "msg-newsletter"))!.value;
const calendar = (await getCalendar(demoDb, newsletter.calendarId))!;

Deno.bench("View Details recipient preview: a school's students, guardians and staff", async () => {
  await previewRecipients(demoDb, newsletter, calendar);
});
Deno.bench("Next 5 occurrences of a weekday series started 60 days ago", () => {
  occurrences({
    kind: "recurring",
    rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    startDate: "2026-09-27",
    times: { voice: "10:00" },
    skipDates: [],
    skipNoSchoolDays: true,
  }, { from: NOW, limit: 5, timeZone: "America/Chicago", calendar, includeSkipped: true });
});
