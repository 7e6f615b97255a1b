/** Send shards: every delivery in exactly one, instances sharing a run, Emergency ahead of a running General. */
import assert from "node:assert/strict";
import { makeDue, NOW, settle, testApp } from "../../tests/support/app.ts";
import { outboxProviders } from "../providers/outbox.ts";
import type { Providers } from "../providers/types.ts";
import { deliveriesOf } from "../store/deliveries.ts";
import type { Db } from "../store/kv.ts";
import { getRun } from "../store/runs.ts";
import type { Clock } from "../time.ts";
import { Dispatcher } from "./dispatcher.ts";
import { dueJobIds, getJob, jobsOfRun } from "./jobs.ts";

/** The outbox, also noting the order of every send and the instance that made it. */
function recording(
  db: Db,
  clock: Clock,
  log: { to: string; subject?: string; by: string }[],
  by: string,
  delayMs = 0,
): Providers {
  const outbox = outboxProviders(db, clock, delayMs);
  return {
    ...outbox,
    sendEmail: (m) => (log.push({ to: m.to, subject: m.subject, by }), outbox.sendEmail(m)),
    sendText: (t) => (log.push({ to: t.to, by }), outbox.sendText(t)),
  };
}

Deno.test("Processing cuts each mode into shards; every delivery is sent once, by exactly one shard", async () => {
  const log: { to: string; subject?: string; by: string }[] = [];
  const t = await testApp({ shardSize: 10, providers: (db, clock) => recording(db, clock, log, "one") });
  await makeDue(t.db, "msg-early-release", { modes: ["email", "text"] });
  const run = (await t.dispatcher.startOccurrence("msg-early-release", NOW))!;
  await t.dispatcher.runJob((await dueJobIds(t.db, NOW, 1))[0]);
  const shards = (await jobsOfRun(t.db, run.id)).filter((j) => j.value.kind === "send");
  const deliveries = await Array.fromAsync(deliveriesOf(t.db, run.id));
  for (const mode of ["email", "text"] as const) {
    const n = deliveries.filter((d) => d.value.mode === mode).length;
    assert.ok(n > 20, `${mode}: ${n}`);
    assert.equal(shards.filter((j) => j.value.mode === mode).length, Math.ceil(n / 10), mode);
  }
  await settle(t);
  assert.equal((await getRun(t.db, run.id))!.value.status, "completed");
  const sent = deliveries.map((d) => d.value.address!);
  assert.deepEqual(log.map((l) => l.to).sort(), sent.sort(), "each address once, none left out");
  t.close();
});

Deno.test("two instances on one KV share a run's shards, and every address gets it once", async () => {
  const log: { to: string; subject?: string; by: string }[] = [];
  // Each send takes a moment, as a provider's does, so both instances are at work at once.
  const t = await testApp({ shardSize: 10, providers: (db, clock) => recording(db, clock, log, "one", 2) });
  const other = new Dispatcher({
    db: t.db,
    clock: t.clock,
    providers: recording(t.db, t.clock, log, "two", 2),
    publicUrl: "http://127.0.0.1:9",
    shardSize: 10,
  });
  await makeDue(t.db, "msg-early-release", { modes: ["email", "text"] });
  const run = (await t.dispatcher.startOccurrence("msg-early-release", NOW))!;
  await t.dispatcher.runJob((await dueJobIds(t.db, NOW, 1))[0]); // Processing: the shards are due
  for (let i = 0; i < 20 && (await getRun(t.db, run.id))!.value.status !== "completed"; i++) {
    await Promise.all([t.dispatcher.sweep(), other.sweep()]);
    const [next] = await dueJobIds(t.db, Number.MAX_SAFE_INTEGER, 1);
    const job = next ? await getJob(t.db, next) : null;
    if (job) t.clock.at = Math.max(t.clock.at, job.value.dueAt);
  }
  assert.equal((await getRun(t.db, run.id))!.value.status, "completed");
  const deliveries = await Array.fromAsync(deliveriesOf(t.db, run.id));
  assert.deepEqual(log.map((l) => l.to).sort(), deliveries.map((d) => d.value.address!).sort());
  assert.ok(log.some((l) => l.by === "one") && log.some((l) => l.by === "two"), "both instances sent some");
  t.close();
});

Deno.test("an Emergency goes out before a running General run gets its next shard", async () => {
  const log: { to: string; subject?: string; by: string }[] = [];
  const t = await testApp({ shardSize: 10, slots: 1, providers: (db, clock) => recording(db, clock, log, "one") });
  const general = await makeDue(t.db, "msg-early-release", { modes: ["email"] });
  const emergency = await makeDue(t.db, "msg-weather-drill", { modes: ["email"] });
  assert.equal(emergency.type, "emergency");
  const generalRun = (await t.dispatcher.startOccurrence(general.id, NOW))!;
  await t.dispatcher.runJob((await dueJobIds(t.db, NOW, 1))[0]); // Processing
  await t.dispatcher.runJob((await dueJobIds(t.db, NOW, 1))[0]); // its first shard
  const firstShard = log.length;
  assert.ok(firstShard > 0 && firstShard <= 10);
  const emergencyRun = (await t.dispatcher.startOccurrence(emergency.id, NOW))!;
  await t.dispatcher.sweep();
  const subjects = log.slice(firstShard).map((l) => l.subject);
  const lastEmergency = subjects.lastIndexOf(emergency.subject);
  const firstGeneral = subjects.indexOf(general.subject);
  assert.ok(lastEmergency >= 0 && firstGeneral > lastEmergency, `order after the first shard: ${subjects}`);
  const reached = await Array.fromAsync(deliveriesOf(t.db, emergencyRun.id));
  assert.equal(subjects.filter((s) => s === emergency.subject).length, reached.length, "all of the Emergency");
  await settle(t);
  assert.equal((await getRun(t.db, generalRun.id))!.value.status, "completed");
  t.close();
});
