import assert from "node:assert/strict";
import { messageFixture, runFixture, userFixture, withDb } from "../tests/support/fixtures.ts";
import type { Message, Run } from "./model.ts";
import { listSent, SentQuery } from "./sent.ts";
import type { Db } from "./store/kv.ts";
import { saveRun } from "./store/runs.ts";

const ZONE = "America/Chicago";
const q = (extra: Record<string, string> = {}) => SentQuery.parse(extra);

/** A run that finished (Sent, unless told otherwise) at `finishedAt`. */
function finished(id: string, finishedAt: string, message: Partial<Message> = {}, status: Run["status"] = "completed") {
  const at = Date.parse(finishedAt);
  return runFixture(id, messageFixture(`msg-${id}`, message), {
    status,
    startedAt: at - 60_000,
    transitions: [{ status: "processing", at: at - 60_000 }, { status: "sending", at: at - 30_000 }, { status, at }],
  });
}

const mine = { userId: "u1", name: "User u1", at: "2026-11-01T00:00:00Z" };
const theirs = { userId: "u2", name: "User u2", at: "2026-11-01T00:00:00Z" };

async function seeded(fn: (db: Db) => Promise<void>) {
  await withDb(async (db) => {
    const runs = [
      finished("R1", "2026-11-28T15:00:00Z", { created: mine, subject: "Lunch menu" }),
      finished("R2", "2026-11-29T15:00:00Z", { created: theirs, subject: "Snow day", type: "emergency" }),
      // 11:30 PM on Nov 30 in Chicago, already Dec 1 in UTC.
      finished("R3", "2026-12-01T05:30:00Z", { created: mine, calendarId: "cal2" }),
      // 12:30 AM on Dec 1 in Chicago.
      finished("R4", "2026-12-01T06:30:00Z", { created: theirs, calendarId: "cal2" }, "canceled"),
      runFixture("R5", messageFixture("msg-R5", { created: mine })),
    ];
    for (const run of runs) await saveRun(db, null, run);
    await fn(db);
  });
}

const ids = (page: { items: Run[] }) => page.items.map((r) => r.id);

Deno.test("Sent list: finished runs only, newest first; All only for View/Edit All, within their calendars", () =>
  seeded(async (db) => {
    const u1 = userFixture("u1");
    assert.deepEqual(ids(await listSent(db, u1, q(), ZONE)), ["R3", "R1"], "my own; R5 is still Processing");
    assert.deepEqual(ids(await listSent(db, u1, q({ scope: "all" }), ZONE)), ["R3", "R1"], "no View/Edit All");
    const overseer = userFixture("u9", { viewEditAll: true });
    assert.deepEqual(ids(await listSent(db, overseer, q({ scope: "all" }), ZONE)), ["R4", "R3", "R2", "R1"]);
    const cal1Only = userFixture("u9", { viewEditAll: true, calendars: ["cal1"] });
    assert.deepEqual(ids(await listSent(db, cal1Only, q({ scope: "all" }), ZONE)), ["R2", "R1"]);
  }));

Deno.test("Sent list: From and To are whole days in the district's zone", () =>
  seeded(async (db) => {
    const overseer = userFixture("u9", { viewEditAll: true });
    const range = (from: string, to: string) => listSent(db, overseer, q({ scope: "all", from, to }), ZONE);
    assert.deepEqual(ids(await range("2026-11-30", "2026-11-30")), ["R3"], "11:30 PM local is still Nov 30");
    assert.deepEqual(ids(await range("2026-12-01", "")), ["R4"]);
    assert.deepEqual(ids(await range("", "2026-11-28")), ["R1"]);
    assert.equal(SentQuery.safeParse({ from: "2026-12-02", to: "2026-12-01" }).error?.issues[0].path[0], "to");
  }));

Deno.test("Sent list: subject (any case), type and calendar filters", () =>
  seeded(async (db) => {
    const overseer = userFixture("u9", { viewEditAll: true });
    const all = (extra: Record<string, string>) => listSent(db, overseer, q({ scope: "all", ...extra }), ZONE);
    assert.deepEqual(ids(await all({ subject: "LUNCH" })), ["R1"]);
    assert.deepEqual(ids(await all({ type: "emergency" })), ["R2"]);
    assert.deepEqual(ids(await all({ calendar: "cal2" })), ["R4", "R3"]);
  }));

Deno.test("Sent list: a Message ID finds one finished run the user may see, in any case", () =>
  seeded(async (db) => {
    const u1 = userFixture("u1");
    assert.deepEqual(ids(await listSent(db, u1, q({ messageId: "r1" }), ZONE)), ["R1"]);
    assert.deepEqual(ids(await listSent(db, u1, q({ messageId: "R5" }), ZONE)), [], "not finished");
    assert.deepEqual(ids(await listSent(db, u1, q({ messageId: "R2", scope: "all" }), ZONE)), [], "someone else's");
    const overseer = userFixture("u9", { viewEditAll: true });
    assert.deepEqual(ids(await listSent(db, overseer, q({ messageId: "R2" }), ZONE)), [], "All not asked for");
    assert.deepEqual(ids(await listSent(db, overseer, q({ messageId: "R2", scope: "all" }), ZONE)), ["R2"]);
  }));
