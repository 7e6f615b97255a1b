/**
 * Several processes on one KV file (two instances on a server) share one
 * SQLite database: while one writes, another's open, read or commit can fail
 * at once with "database is locked" instead of waiting. Such an operation
 * did nothing, so it is safe to try again; this does, briefly, so callers
 * see the contention as a short wait rather than an error (a failed finish
 * job waited out its whole lease; a status callback answered 500).
 *
 * List iterators are not wrapped: a read of many keys is retried by the job
 * that made it, which is re-driven after its lease.
 */

const LOCKED = /database is locked|database table is locked|SQLITE_BUSY/i;
const ATTEMPTS = 30;

export function isLocked(e: unknown): boolean {
  return e instanceof Error && LOCKED.test(e.message);
}

/** Runs `op` again while it fails with "database is locked": up to ~6 s, with jittered backoff. */
export async function whileLocked<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isLocked(e) || attempt >= ATTEMPTS) throw e;
      const wait = Math.min(400, 2 ** attempt) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

export function openKvRetrying(path?: string): Promise<Deno.Kv> {
  return whileLocked(() => Deno.openKv(path)).then(retryingWhenLocked);
}

const RETRIED = new Set(["get", "getMany", "set", "delete", "enqueue"]);

/** The same KV, its single operations and atomic commits retried while the file is locked. */
export function retryingWhenLocked(kv: Deno.Kv): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "atomic") return () => retryingCommit(target.atomic());
      if (typeof value !== "function") return value;
      if (!RETRIED.has(String(prop))) return value.bind(target);
      return (...args: unknown[]) => whileLocked(() => value.apply(target, args));
    },
  });
}

function retryingCommit(op: Deno.AtomicOperation): Deno.AtomicOperation {
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "commit") return () => whileLocked(() => target.commit());
      // The builder methods return the operation itself: keep handing out the proxy.
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
