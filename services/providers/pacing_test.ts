import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import { DEFAULT_PAUSE_MS, paced } from "./pacing.ts";
import { ProviderError } from "./types.ts";

Deno.test("pacing: never more in flight than the concurrency", () =>
  withDb(async (db) => {
    let inFlight = 0;
    let most = 0;
    const send = paced(db, "text", { concurrency: 3 }, async (n: number) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return n;
    });
    assert.deepEqual(await Promise.all(Array.from({ length: 20 }, (_, i) => send(i))), [...Array(20).keys()]);
    assert.equal(most, 3);
  }));

Deno.test("pacing: two instances together start no more per second than the rate", () =>
  withDb(async (db) => {
    const starts: number[] = [];
    const instance = () =>
      paced(db, "voice", { concurrency: 10, perSecond: 4 }, (n: number) => {
        starts.push(Date.now());
        return Promise.resolve(n);
      });
    const [a, b] = [instance(), instance()];
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b)(i)));
    const perSecond = new Map<number, number>();
    for (const t of starts) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    assert.equal(starts.length, 10);
    assert.ok([...perSecond.values()].every((n) => n <= 4), JSON.stringify([...perSecond]));
  }));

Deno.test("pacing: a 429 pauses the whole sender, on every instance, not just the delivery that got it", () =>
  withDb(async (db) => {
    let refused: number | undefined;
    const after: number[] = [];
    const first = paced(db, "text", { concurrency: 1 }, () => {
      refused = Date.now();
      return Promise.reject(new ProviderError("Too Many Requests", false, "20429"));
    });
    const other = paced(db, "text", { concurrency: 1 }, () => Promise.resolve(after.push(Date.now())));
    await assert.rejects(first(0), ProviderError);
    await other(1);
    assert.ok(after[0] >= refused! + DEFAULT_PAUSE_MS, `${after[0] - refused!} ms after the 429`);
  }));
