import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import { TestClock } from "../../tests/support/app.ts";
import { outboxProviders } from "../providers/outbox.ts";
import { advanceDelivery, type Delivery, getDelivery, moved, stageNewDelivery } from "../store/deliveries.ts";
import type { Db } from "../store/kv.ts";
import { dispatchContext } from "./context.ts";
import { applyStatus } from "./status_callbacks.ts";

const call: Delivery = {
  id: "gdn1~stu1~home",
  runId: "R1",
  mode: "voice",
  personId: "gdn1",
  name: "Ada Okafor",
  as: "guardians",
  studentIds: ["stu1"],
  deviceId: "home",
  address: "+16125550101",
  state: "sent",
  attempts: 1,
  providerId: "CA1",
  updatedAt: 0,
  history: [],
};

async function setUp(db: Db) {
  await stageNewDelivery(db.kv.atomic(), db, call).commit();
  const clock = new TestClock();
  const ctx = dispatchContext({ db, clock, providers: outboxProviders(db, clock), publicUrl: "http://127.0.0.1:9" });
  const read = async () => (await getDelivery(db, call.runId, "voice", call.id))!;
  return { ctx, read };
}

Deno.test("who answered, told with the TwiML request, stays when the call completes; a later word does not change it", () =>
  withDb(async (db) => {
    const { ctx, read } = await setUp(db);
    assert.equal(await applyStatus(ctx, call, "CA1", "in-progress", undefined, "machine_end_beep"), "applied");
    assert.deepEqual([(await read()).value.state, (await read()).value.callResult], ["sent", "machine"]);
    assert.equal(await applyStatus(ctx, call, "CA1", "completed"), "applied");
    assert.deepEqual([(await read()).value.state, (await read()).value.callResult], ["delivered", "machine"]);
    assert.equal(await applyStatus(ctx, call, "CA1", "in-progress", undefined, "human"), "ignored");
    assert.equal((await read()).value.callResult, "machine");
  }));

Deno.test("a call completed with no word on who answered is 'unknown' until the answer kept early is applied", () =>
  withDb(async (db) => {
    const { ctx, read } = await setUp(db);
    assert.equal(await applyStatus(ctx, call, "CA1", "completed"), "applied");
    assert.equal((await read()).value.callResult, "unknown");
    assert.equal(await applyStatus(ctx, call, "CA1", "in-progress", undefined, "human"), "applied");
    assert.deepEqual([(await read()).value.state, (await read()).value.callResult], ["delivered", "human"]);
  }));

Deno.test("busy is recorded with its redial; the redial's own answer replaces it; the old call's word is not the new one's", () =>
  withDb(async (db) => {
    const { ctx, read } = await setUp(db);
    assert.equal(await applyStatus(ctx, call, "CA1", "busy"), "applied");
    assert.deepEqual([(await read()).value.state, (await read()).value.callResult], ["redial", "busy"]);
    // The redial: claimed, then placed as a new call.
    const redial = await read();
    const claimed = await advanceDelivery(db, redial, moved(redial.value, "sending", 1, undefined, { attempts: 2 }));
    await advanceDelivery(db, claimed!, moved(claimed!.value, "sent", 2, "queued", { providerId: "CA2" }));
    assert.equal(await applyStatus(ctx, call, "CA1", "in-progress", undefined, "human"), "unknown");
    assert.equal((await read()).value.callResult, "busy");
    assert.equal(await applyStatus(ctx, call, "CA2", "completed"), "applied");
    assert.deepEqual([(await read()).value.state, (await read()).value.callResult], ["delivered", "unknown"]);
  }));

Deno.test("no answer on the last call fails the delivery as no answer", () =>
  withDb(async (db) => {
    const { ctx, read } = await setUp(db);
    const last = await read();
    await advanceDelivery(db, last, { ...last.value, attempts: 3 });
    assert.equal(await applyStatus(ctx, call, "CA1", "no-answer"), "applied");
    assert.deepEqual([(await read()).value.state, (await read()).value.callResult], ["failed", "no-answer"]);
  }));
