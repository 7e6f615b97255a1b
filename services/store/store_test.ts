import assert from "node:assert/strict";
import { audit, messageFixture, runFixture, withDb } from "../../tests/support/fixtures.ts";
import { ConflictError, type Db, listPage, PageCursor } from "./kv.ts";
import { z } from "zod";
import { getMessage, listAudit, saveMessage, scheduledIndex } from "./messages.ts";
import { activeIndex, getRun, saveRun } from "./runs.ts";

async function keys(db: Db, prefix: Deno.KvKey): Promise<Deno.KvKey[]> {
  const out: Deno.KvKey[] = [];
  for await (const e of db.kv.list({ prefix })) out.push(e.key);
  return out;
}

Deno.test("message indexes follow create, update and delete", () =>
  withDb(async (db) => {
    const m = messageFixture("m1");
    await saveMessage(db, null, m, audit());
    assert.deepEqual(await keys(db, scheduledIndex.all(db)), [["d1", "msg_next", m.nextAt!, "m1"]]);
    assert.equal((await keys(db, scheduledIndex.byCreator(db, "u1"))).length, 1);
    assert.equal((await keys(db, scheduledIndex.byCalendar(db, "cal1"))).length, 1);

    const read = (await getMessage(db, "m1"))!;
    const moved = { ...m, calendarId: "cal2", nextAt: m.nextAt! + 1000, subject: "Changed" };
    await saveMessage(db, read, moved, audit("edited"));
    assert.deepEqual(await keys(db, scheduledIndex.all(db)), [["d1", "msg_next", moved.nextAt, "m1"]]);
    assert.deepEqual(await keys(db, scheduledIndex.byCalendar(db, "cal1")), []);
    assert.equal((await keys(db, scheduledIndex.byCalendar(db, "cal2"))).length, 1);
    const summary = (await db.kv.get(["d1", "msg_next", moved.nextAt, "m1"])).value as { subject: string };
    assert.equal(summary.subject, "Changed", "index values carry the new summary");

    const finished = (await getMessage(db, "m1"))!;
    await saveMessage(db, finished, { ...moved, nextAt: null }, audit("sent"));
    assert.deepEqual(await keys(db, scheduledIndex.all(db)), [], "nothing left to send: off the Scheduled list");

    await saveMessage(db, (await getMessage(db, "m1"))!, null, audit("canceled"));
    assert.equal(await getMessage(db, "m1"), null);
    assert.deepEqual(await keys(db, ["d1", "msg_next_by_creator"]), []);
    assert.deepEqual((await listAudit(db, "m1")).map((a) => a.action).sort(), [
      "canceled",
      "created",
      "edited",
      "sent",
    ]);
  }));

Deno.test("a stale write is refused and changes nothing", () =>
  withDb(async (db) => {
    await saveMessage(db, null, messageFixture("m1"), audit());
    const first = (await getMessage(db, "m1"))!;
    await saveMessage(db, first, { ...first.value, subject: "A" }, audit("edited"));
    await assert.rejects(saveMessage(db, first, { ...first.value, subject: "B" }, audit("edited")), ConflictError);
    assert.equal((await getMessage(db, "m1"))!.value.subject, "A");
    await assert.rejects(
      saveMessage(db, null, messageFixture("m1"), audit()),
      ConflictError,
      "create over an existing id",
    );
  }));

Deno.test("run indexes: active while in progress, history only once finished", () =>
  withDb(async (db) => {
    const r = runFixture("r1", messageFixture("m1"));
    await saveRun(db, null, r);
    assert.equal((await keys(db, activeIndex.all(db))).length, 1);
    assert.equal((await keys(db, activeIndex.byCreator(db, "u1"))).length, 1);
    const sending = { ...r, status: "sending" as const };
    await saveRun(db, (await getRun(db, "r1"))!, sending);
    const value = (await db.kv.get(["d1", "run_active", r.startedAt, "r1"])).value as { status: string };
    assert.equal(value.status, "sending");
    await saveRun(db, (await getRun(db, "r1"))!, { ...sending, status: "completed" });
    assert.deepEqual(await keys(db, activeIndex.all(db)), []);
    assert.deepEqual(await keys(db, activeIndex.byCalendar(db, "cal1")), []);
    assert.deepEqual(await keys(db, ["d1", "run_by_message", "m1"]), [[
      "d1",
      "run_by_message",
      "m1",
      r.startedAt,
      "r1",
    ]]);
  }));

Deno.test("keys are scoped by district", () =>
  withDb(async (db) => {
    const other: Db = { kv: db.kv, districtId: "d2" };
    await saveMessage(db, null, messageFixture("m1"), audit());
    assert.equal(await getMessage(other, "m1"), null);
    assert.deepEqual(await keys(other, scheduledIndex.all(other)), []);
  }));

Deno.test("listPage: every next-page cursor is a valid page link, KV's base64 padding included, and pages on", () =>
  withDb(async (db) => {
    // Keys of every length mod 3, so KV's cursors end in "", "=" and "==".
    for (let i = 1; i <= 9; i++) await db.kv.set([db.districtId, "paging", "k".repeat(i)], i);
    const seen: number[] = [];
    let cursor = "";
    for (let page = 0; page < 20; page++) {
      const { items, next } = await listPage(db, [db.districtId, "paging"], z.number(), { limit: 1, cursor });
      seen.push(...items);
      if (!next) break;
      const link = PageCursor.safeParse(next);
      assert.ok(link.success, `a page link for cursor ${next}`);
      cursor = link.data;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }));
