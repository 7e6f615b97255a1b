/** Send shards: every delivery in exactly one, instances sharing a run, Emergency ahead of a running General. */
import assert from "node:assert/strict";
import { makeDue, NOW, settle, testApp } from "../../tests/support/app.ts";
import { outboxProviders } from "../providers/outbox.ts";
import type { Providers } from "../providers/types.ts";
import { deliveriesOf, runCounts } from "../store/deliveries.ts";
import { getCalendar } from "../store/district.ts";
import type { Db } from "../store/kv.ts";
import { createPeople } from "../store/people.ts";
import { getRun } from "../store/runs.ts";
import type { Clock } from "../time.ts";
import { Dispatcher } from "./dispatcher.ts";
import { dueJobIds, getJob, jobsOfRun } from "../store/jobs.ts";

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
  // Its first shard (the finish job is due at the same moment, and ids are random: pick a send job).
  const due = await Promise.all((await dueJobIds(t.db, NOW)).map((id) => getJob(t.db, id)));
  await t.dispatcher.runJob(due.find((j) => j?.value.kind === "send")!.value.id);
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

Deno.test("Processing cut off between its commits resumes where it stopped: every delivery written and counted once", async () => {
  const log: { to: string; subject?: string; by: string }[] = [];
  const t = await testApp({ providers: (db, clock) => recording(db, clock, log, "one") });
  const message = await makeDue(t.db, "msg-early-release", {
    modes: ["email"],
    recipients: {
      types: ["guardians"],
      grades: [],
      personIds: [],
      oneCopyPerGuardian: true,
    },
  });
  // Enough families for several of Processing's commits (250 deliveries each).
  const school = (await getCalendar(t.db, message.calendarId))!.schoolId;
  const devices = (i: number) => [
    {
      id: `bulk-${i}-e`,
      kind: "email" as const,
      address: `bulk${i}@family.example`,
      text: false,
      general: true,
      priority: true,
      emergency: true,
    },
  ];
  await createPeople(
    t.db,
    Array.from({ length: 700 }, (_, i) => [
      {
        id: `bulk-stu-${i}`,
        kind: "student" as const,
        firstName: "K",
        lastName: `${i}`,
        schoolIds: [school],
        grade: "3",
        studentIds: [],
        devices: [],
      },
      {
        id: `bulk-gdn-${i}`,
        kind: "guardian" as const,
        firstName: "P",
        lastName: `${i}`,
        schoolIds: [school],
        studentIds: [`bulk-stu-${i}`],
        devices: devices(i),
      },
    ]).flat(),
  );
  // The process "dies" at its fourth commit: the job's claim and two batches are written, the rest are not.
  const atomic = t.db.kv.atomic.bind(t.db.kv);
  let commits = 0;
  t.db.kv.atomic = () => {
    const op = atomic();
    const commit = op.commit.bind(op);
    op.commit = () => (++commits === 4 ? Promise.reject(new Error("the process died here")) : commit());
    return op;
  };
  const run = (await t.dispatcher.startOccurrence(message.id, NOW))!;
  commits = 0;
  await t.dispatcher.runJob((await dueJobIds(t.db, NOW, 1))[0]).catch(() => {});
  assert.equal(commits, 4, "it stopped at the fourth commit");
  assert.equal((await Array.fromAsync(deliveriesOf(t.db, run.id))).length, 500, "two batches written");
  t.db.kv.atomic = atomic;
  await settle(t);
  assert.equal((await getRun(t.db, run.id))!.value.status, "completed");
  const deliveries = await Array.fromAsync(deliveriesOf(t.db, run.id));
  assert.ok(deliveries.length > 700, `${deliveries.length}`);
  const counts = await runCounts(t.db, run.id);
  assert.equal(Object.values(counts.email!).reduce((a, b) => a + b, 0), deliveries.length, "counted once each");
  assert.deepEqual(log.map((l) => l.to).sort(), deliveries.map((d) => d.value.address!).sort(), "each address once");
  t.close();
});

Deno.test("a sweep that finds only Processing due then sends the run's shards DISPATCH_SLOTS at a time", async () => {
  let inFlight = 0;
  let most = 0;
  const t = await testApp({
    shardSize: 10,
    slots: 4,
    providers: (db, clock) => {
      const outbox = outboxProviders(db, clock, 20);
      return {
        ...outbox,
        sendEmail: async (m) => {
          most = Math.max(most, ++inFlight);
          try {
            return await outbox.sendEmail(m);
          } finally {
            inFlight--;
          }
        },
      };
    },
  });
  await makeDue(t.db, "msg-early-release", { modes: ["email"] });
  const run = (await t.dispatcher.startOccurrence("msg-early-release", NOW))!;
  // One sweep, as the queue's nudge for the Processing job starts it: nothing else is due yet.
  await t.dispatcher.sweep();
  const deliveries = await Array.fromAsync(deliveriesOf(t.db, run.id));
  assert.ok(deliveries.length > 40, `${deliveries.length}`);
  assert.ok(deliveries.every((d) => d.value.state === "delivered"), "every shard sent within that sweep");
  assert.ok(most > 10, `shards side by side: at most ${most} sends at once (one shard is 10)`);
  t.close();
});
