/**
 * The provider's own speed: how many requests one instance keeps in flight
 * (a semaphore per channel) and how many per second every instance together
 * may start (an allowance kept in KV, taken in blocks so instances rarely
 * contend). A 429 from the provider pauses the whole sender, every instance,
 * for the time it asked, not only the one delivery that got it.
 *
 * Written by hand: rate limiters on npm count within one process; this one
 * must hold across processes sharing a KV file, and across Deno Deploy
 * isolates sharing Deploy's KV.
 */
import { getPausedUntil, pauseUntil, takeStarts } from "../store/allowance.ts";
import type { Db } from "../store/kv.ts";
import { ProviderError } from "./types.ts";

export interface Pace {
  /** Requests in flight at once from this instance. */
  concurrency: number;
  /** Requests started per second by all instances together; unset for no limit. */
  perSecond?: number;
}

/** How long a 429 without Retry-After pauses the sender. */
export const DEFAULT_PAUSE_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** At most `size` holders at once; the others wait their turn, first come first served. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  private used = 0;
  constructor(private readonly size: number) {}

  async take(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}

/**
 * Hands out starts at `perSecond` for all instances: each takes a block of
 * the current second's places from KV (a checked commit), starts each at its
 * place in the second, and waits for the next second when the places are
 * gone. Without `perSecond` it only honours the pause.
 */
class Allowance {
  /** This second's starts this instance holds, by their place in the second (0 … perSecond − 1). */
  private slots: number[] = [];
  private second = 0;
  private taking: Promise<void> | null = null;
  private pausedUntil = 0;
  private pauseReadAt = 0;
  private readonly block: number;

  constructor(private db: Db, private channel: string, private perSecond?: number) {
    this.block = perSecond ? Math.max(1, Math.ceil(perSecond / 10)) : 0;
  }

  async take(): Promise<void> {
    for (let round = 0; round < 100_000; round++) {
      const paused = await this.pausedFor();
      if (paused > 0) {
        await sleep(paused);
        continue;
      }
      if (!this.perSecond) return;
      const second = Math.floor(Date.now() / 1000);
      if (second !== this.second) {
        this.second = second;
        this.slots = [];
      }
      const slot = this.slots.shift();
      if (slot !== undefined) {
        // Each start has its own place in the second, across all instances: a rate of 1/s is one call a
        // second, not a burst at each second's start, and no second ever holds more than perSecond starts.
        const start = second * 1000 + Math.floor((slot * 1000) / this.perSecond);
        if (start > Date.now()) await sleep(start - Date.now());
        return;
      }
      this.taking ??= this.refill(second).finally(() => (this.taking = null));
      await this.taking;
      if (this.slots.length === 0 && Math.floor(Date.now() / 1000) === second) {
        await sleep(1000 - (Date.now() % 1000) + 1);
      }
    }
    throw new Error(`pacing: no allowance for ${this.channel}`);
  }

  /** The shared pause, read at most every 250 ms: a 429 reaches every instance within that. */
  private async pausedFor(): Promise<number> {
    const now = Date.now();
    if (now - this.pauseReadAt > 250) {
      this.pauseReadAt = now;
      const shared = await getPausedUntil(this.db, this.channel);
      this.pausedUntil = Math.max(this.pausedUntil, shared);
    }
    return Math.max(0, this.pausedUntil - now);
  }

  private async refill(second: number): Promise<void> {
    const taken = await takeStarts(this.db, this.channel, second, this.perSecond!, this.block);
    // Places in a second already past are of no use.
    if (Math.floor(Date.now() / 1000) === second) this.slots.push(...taken);
  }

  async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    this.pausedUntil = Math.max(this.pausedUntil, until);
    await pauseUntil(this.db, this.channel, until, ms + 60_000);
  }
}

/** `send`, at most `pace.concurrency` at once here and `pace.perSecond` started per second everywhere. */
export function paced<A, R>(db: Db, channel: string, pace: Pace, send: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  const slots = new Semaphore(Math.max(1, pace.concurrency));
  const allowance = new Allowance(db, channel, pace.perSecond);
  return async (arg: A) => {
    await slots.take();
    try {
      await allowance.take();
      return await send(arg);
    } catch (e) {
      if (e instanceof ProviderError && (e.code === "429" || e.code === "20429")) {
        await allowance.pause((e.retryAfter ?? 0) * 1000 || DEFAULT_PAUSE_MS);
      }
      throw e;
    } finally {
      slots.give();
    }
  };
}
