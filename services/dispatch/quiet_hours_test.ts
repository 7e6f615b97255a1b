/** Quiet hours at dispatch: General and Priority texts and calls wait for their window; Emergency and a sender's choice do not. */
import assert from "node:assert/strict";
import { makeDue, type TestApp, testApp } from "../../tests/support/app.ts";
import { outboxProviders } from "../providers/outbox.ts";
import type { Message } from "../model.ts";
import { runCounts } from "../store/deliveries.ts";
import { listOutbox, type OutboxEntry } from "../store/outbox.ts";
import { getRun, getRunMessage } from "../store/runs.ts";
import { toWall } from "../time.ts";

const TZ = "America/Chicago";
/** Thursday 26 November 2026, 10:00 PM in Chicago: after both windows (texts 8:00–21:00, calls 7:00–21:00). */
const TEN_PM = Date.parse("2026-11-27T04:00:00Z");
const SEVEN_AM = Date.parse("2026-11-27T13:00:00Z");
const EIGHT_AM = Date.parse("2026-11-27T14:00:00Z");

/** The outbox's texts and calls, whenever they went. */
async function textsAndCalls(t: TestApp): Promise<OutboxEntry[]> {
  const out: OutboxEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await listOutbox(t.db, cursor);
    out.push(...page.items.filter((e) => e.kind === "text" || e.kind === "voice"));
    cursor = page.next;
  } while (cursor);
  return out;
}

/** The demo's "Early release Friday" to guardians by text and call, due and started at 10:00 PM. */
async function dueAtTenPm(change: Partial<Message>) {
  const t = await testApp();
  t.clock.at = TEN_PM;
  await makeDue(t.db, "msg-early-release", { modes: ["text", "voice"], ...change }, TEN_PM);
  const run = (await t.dispatcher.startOccurrence("msg-early-release", TEN_PM))!;
  await t.dispatcher.drain();
  return { t, run };
}

const wall = (entries: OutboxEntry[]) => [...new Set(entries.map((e) => toWall(e.at, TZ).time))].sort();

Deno.test("quiet hours: a General text after hours waits for 8:00 AM, its call for 7:00 AM, and each goes then", async () => {
  const { t, run } = await dueAtTenPm({ type: "general" });
  assert.equal((await getRun(t.db, run.id))!.value.status, "sending");
  assert.deepEqual(await textsAndCalls(t), [], "nothing at 10:00 PM");
  const waiting = await runCounts(t.db, run.id);
  assert.ok(waiting.text!.pending! > 0 && waiting.voice!.pending! > 0, JSON.stringify(waiting));

  t.clock.at = SEVEN_AM - 60_000;
  await t.dispatcher.drain();
  assert.deepEqual(await textsAndCalls(t), [], "nothing at 6:59 AM");
  t.clock.at = SEVEN_AM;
  await t.dispatcher.drain();
  const calls = await textsAndCalls(t);
  assert.equal(calls.length, waiting.voice!.pending, "every call at 7:00 AM");
  assert.deepEqual(wall(calls), ["07:00"]);
  assert.ok(calls.every((e) => e.kind === "voice"), "texts still wait at 7:00 AM");

  t.clock.at = EIGHT_AM - 60_000;
  await t.dispatcher.drain();
  assert.equal((await textsAndCalls(t)).length, calls.length, "no text at 7:59 AM");
  t.clock.at = EIGHT_AM;
  await t.dispatcher.drain();
  const texts = (await textsAndCalls(t)).filter((e) => e.kind === "text");
  assert.equal(texts.length, waiting.text!.pending, "every text at 8:00 AM");
  assert.deepEqual(wall(texts), ["08:00"]);
  t.close();
});

Deno.test("quiet hours: an Emergency text and call go at 10:00 PM, at once", async () => {
  const { t, run } = await dueAtTenPm({ type: "emergency" });
  const sent = await textsAndCalls(t);
  const counts = await runCounts(t.db, run.id);
  assert.equal(counts.text!.pending ?? 0, 0, JSON.stringify(counts));
  assert.equal(counts.voice!.pending ?? 0, 0, JSON.stringify(counts));
  assert.ok(sent.some((e) => e.kind === "text") && sent.some((e) => e.kind === "voice"));
  assert.deepEqual(wall(sent), ["22:00"]);
  t.close();
});

Deno.test("quiet hours: a General message sent outside quiet hours goes at once, and its run records the choice", async () => {
  const { t, run } = await dueAtTenPm({ type: "general", outsideQuietHours: true });
  assert.equal((await getRunMessage(t.db, run.id))!.outsideQuietHours, true, "the run's copy of the message");
  assert.equal((await getRun(t.db, run.id))!.value.message.outsideQuietHours, true, "the run's summary");
  const sent = await textsAndCalls(t);
  const counts = await runCounts(t.db, run.id);
  assert.equal((counts.text!.pending ?? 0) + (counts.voice!.pending ?? 0), 0, JSON.stringify(counts));
  assert.ok(sent.some((e) => e.kind === "text") && sent.some((e) => e.kind === "voice"));
  assert.deepEqual(wall(sent), ["22:00"]);
  t.close();
});

Deno.test("quiet hours: a shard still sending when the window closes stops there; the rest goes at 8:00 AM", async () => {
  // Each text takes the provider 10 seconds of the test's clock: a batch of 10 started at 8:59 PM ends after 9:00.
  const t = await testApp({
    batchSize: 10,
    providers: (db, clock) => {
      const outbox = outboxProviders(db, clock);
      return {
        ...outbox,
        sendText: (text) => {
          clock.at += 10_000;
          return outbox.sendText(text);
        },
      };
    },
  });
  const start = Date.parse("2026-11-27T02:59:00Z"); // 8:59 PM
  t.clock.at = start;
  await makeDue(t.db, "msg-early-release", { type: "general", modes: ["text"] }, start);
  const run = (await t.dispatcher.startOccurrence("msg-early-release", start))!;
  await t.dispatcher.drain();
  const counts = await runCounts(t.db, run.id);
  const total = (counts.text!.pending ?? 0) + (counts.text!.sent ?? 0) + (counts.text!.delivered ?? 0);
  assert.ok(total > 10, `more texts than one batch: ${JSON.stringify(counts)}`);
  assert.equal(counts.text!.pending, total - 10, "the first batch went; the next one waits");
  t.clock.at = EIGHT_AM;
  await t.dispatcher.drain();
  const texts = (await textsAndCalls(t)).filter((e) => e.at >= EIGHT_AM);
  assert.equal(texts.length, total - 10, "the rest at 8:00 AM");
  assert.equal((await runCounts(t.db, run.id)).text!.pending ?? 0, 0);
  t.close();
});
