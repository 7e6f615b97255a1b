import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import {
  advanceDeliveries,
  deliveriesOf,
  type Delivery,
  MAX_BATCH,
  moved,
  runCounts,
  shardsOf,
  stageNewDelivery,
} from "./deliveries.ts";

const delivery = (i: number): Delivery => ({
  id: `p${String(i).padStart(3, "0")}~~email`,
  runId: "r1",
  mode: "email",
  personId: `p${i}`,
  name: `Person ${i}`,
  as: "staff",
  studentIds: [],
  deviceId: "email",
  address: `p${i}@example.org`,
  state: "pending",
  attempts: 0,
  updatedAt: 0,
  history: [],
});

Deno.test("a batch of deliveries moves in one commit, counters summed, or not at all when one was moved meanwhile", () =>
  withDb(async (db) => {
    const op = db.kv.atomic();
    for (let i = 0; i < 5; i++) stageNewDelivery(op, db, delivery(i));
    await op.commit();
    const all = await Array.fromAsync(deliveriesOf(db, "r1"));
    const claimed = await advanceDeliveries(db, all.map((d) => ({ current: d, next: moved(d.value, "sending", 1) })));
    assert.equal(claimed?.length, 5);
    assert.deepEqual((await runCounts(db, "r1")).email, { pending: 5 }, "sending still counts as pending");

    const results = claimed!.map((d, i) => ({ current: d, next: moved(d.value, i === 0 ? "failed" : "sent", 2) }));
    assert.ok(await advanceDeliveries(db, results));
    assert.deepEqual((await runCounts(db, "r1")).email, { pending: 0, sent: 4, failed: 1 });

    const stale = claimed!.map((d) => ({ current: d, next: moved(d.value, "delivered", 3) }));
    assert.equal(await advanceDeliveries(db, stale), null, "read before the results: refused whole");
    assert.deepEqual((await runCounts(db, "r1")).email, { pending: 0, sent: 4, failed: 1 });
    await assert.rejects(advanceDeliveries(db, Array(MAX_BATCH + 1).fill(results[0])), /at most 90/);
  }));

Deno.test("shards cover every delivery of a mode exactly once, whatever the ids' characters", () =>
  withDb(async (db) => {
    const ids = ["a", "b", "\u{1F600}x", "\uFFFDy", "c", "z", "é", "A", "0", "~", "d", "\u{10000}"];
    const op = db.kv.atomic();
    for (const id of ids) stageNewDelivery(op, db, { ...delivery(0), id });
    await op.commit();
    for (const size of [1, 2, 3, 5, 100]) {
      const shards = shardsOf([...ids].sort(), size);
      const seen: string[] = [];
      for (const shard of shards) {
        for await (const d of deliveriesOf(db, "r1", "email", shard)) seen.push(d.value.id);
      }
      assert.deepEqual(seen.sort(), [...ids].sort(), `size ${size}`);
      assert.equal(shards.length, size >= ids.length ? 1 : Math.ceil(ids.length / size), `size ${size}`);
    }
  }));
