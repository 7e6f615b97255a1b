import assert from "node:assert/strict";
import { withDb } from "../tests/support/fixtures.ts";
import { familyInbox, openInboxMessage, PINNED_MS } from "./family_inbox.ts";
import { type Delivery, getDelivery, runCounts, runReadCount, stageNewDelivery } from "./store/deliveries.ts";
import { addToInbox, listInbox } from "./store/inbox.ts";
import type { Db } from "./store/kv.ts";

const inboxDelivery = (id: string, state: Delivery["state"] = "delivered"): Delivery => ({
  id,
  runId: "r1",
  mode: "inbox",
  personId: "gdn1",
  name: "Kai Clark",
  as: "guardians",
  studentIds: ["stu1"],
  deviceId: "inbox",
  address: "gdn1",
  state,
  attempts: 1,
  updatedAt: 0,
  history: [],
});

async function delivered(db: Db, d: Delivery) {
  await stageNewDelivery(db.kv.atomic(), db, d).commit();
  await addToInbox(db, d, { subject: "Snow day", body: "No school.", at: 1 });
}

Deno.test("20 concurrent opens of one message: exactly one readAt and a read count of 1", () =>
  withDb(async (db) => {
    const d = inboxDelivery("gdn1~stu1~inbox");
    await delivered(db, d);
    const opened = await Promise.all(
      Array.from({ length: 20 }, (_, i) => openInboxMessage(db, "gdn1", "r1", d.id, 1000 + i)),
    );
    const stored = (await getDelivery(db, "r1", "inbox", d.id))!.value;
    assert.ok(stored.readAt !== undefined && stored.readAt >= 1000 && stored.readAt < 1020);
    assert.ok(opened.every((e) => e?.readAt === stored.readAt), "every open sees the one first read");
    assert.equal(await runReadCount(db, "r1"), 1);
    assert.equal(stored.state, "delivered", "read never moves a delivery");
    assert.deepEqual((await runCounts(db, "r1")).inbox, { delivered: 1 }, "the state counters are untouched");
    assert.equal((await listInbox(db, "gdn1"))[0].entry.readAt, stored.readAt, "the inbox shows it read");
    // A later open changes nothing.
    await openInboxMessage(db, "gdn1", "r1", d.id, 5000);
    assert.equal((await getDelivery(db, "r1", "inbox", d.id))!.value.readAt, stored.readAt);
    assert.equal(await runReadCount(db, "r1"), 1);
  }));

Deno.test("a message still being sent is shown but not marked read; another person's is not opened", () =>
  withDb(async (db) => {
    const d = inboxDelivery("gdn1~stu1~inbox", "sending");
    await delivered(db, d);
    assert.equal((await openInboxMessage(db, "gdn1", "r1", d.id, 1000))?.readAt, undefined);
    assert.equal((await getDelivery(db, "r1", "inbox", d.id))!.value.readAt, undefined);
    assert.equal(await runReadCount(db, "r1"), 0);
    assert.equal(await openInboxMessage(db, "gdn2", "r1", d.id, 1000), null);
  }));

Deno.test("Messages: newest first, recent emergencies pinned, unread counted; old entries still read", () =>
  withDb(async (db) => {
    const now = 10 * PINNED_MS;
    const add = (id: string, at: number, type?: "emergency") =>
      addToInbox(db, { personId: "gdn1", runId: id, id: "x" }, { subject: id, body: "", at, type });
    await add("old-emergency", now - PINNED_MS - 1, "emergency");
    await add("new-emergency", now - 1000, "emergency");
    await add("general", now - 500);
    // An entry written before the portal: subject, body and time only.
    await db.kv.set([db.districtId, "inbox", "gdn1", "legacy", "x"], { subject: "legacy", body: "b", at: now - 2000 });
    const inbox = await familyInbox(db, "gdn1", now);
    assert.deepEqual(inbox.pinned.map((i) => i.runId), ["new-emergency"]);
    assert.deepEqual(inbox.messages.map((i) => i.runId), ["general", "legacy", "old-emergency"]);
    assert.equal(inbox.unread, 4);
    assert.equal(inbox.messages[1].entry.type, "general");
    assert.deepEqual(inbox.messages[1].entry.attachments, []);
  }));
