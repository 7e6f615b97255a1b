import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import { TestClock } from "../../tests/support/app.ts";
import { outboxProviders } from "../providers/outbox.ts";
import {
  advanceDelivery,
  type Delivery,
  deliveryKey,
  getDelivery,
  moved,
  stageNewDelivery,
} from "../store/deliveries.ts";
import { dispatchContext } from "./context.ts";
import { applyEarlyStatuses, applyStatus } from "./status_callbacks.ts";

const sending: Delivery = {
  id: "gdn1~stu1~mobile",
  runId: "R1",
  mode: "text",
  personId: "gdn1",
  name: "Ada Okafor",
  as: "guardians",
  studentIds: ["stu1"],
  deviceId: "mobile",
  address: "+16125550101",
  state: "sending",
  attempts: 1,
  updatedAt: 0,
  history: [],
};

Deno.test("a callback racing the send's own record is applied, not kept as an early status nobody reads", () =>
  withDb(async (db) => {
    await stageNewDelivery(db.kv.atomic(), db, sending).commit();
    const key = JSON.stringify(deliveryKey(db, sending.runId, sending.mode, sending.id));
    const clock = new TestClock();
    let interleaved = false;
    // Between the callback's read and its write, the sender records the send and looks for early statuses.
    const racing = new Proxy(db.kv, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== "get") return typeof value === "function" ? value.bind(target) : value;
        return async (k: Deno.KvKey) => {
          const entry = await target.get(k);
          if (!interleaved && JSON.stringify(k) === key) {
            interleaved = true;
            const current = (await getDelivery(db, sending.runId, sending.mode, sending.id))!;
            await advanceDelivery(db, current, moved(current.value, "sent", 1, "queued", { providerId: "SM1" }));
            await applyEarlyStatuses(ctx, [sending]);
          }
          return entry;
        };
      },
    });
    const ctx = dispatchContext({
      db: { ...db, kv: racing },
      clock,
      providers: outboxProviders(db, clock),
      publicUrl: "http://127.0.0.1:9",
    });
    assert.equal(await applyStatus(ctx, sending, "SM1", "delivered"), "applied");
    assert.ok(interleaved);
    assert.equal((await getDelivery(db, sending.runId, sending.mode, sending.id))!.value.state, "delivered");
  }));
