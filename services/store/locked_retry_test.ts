import assert from "node:assert/strict";
import { retryingWhenLocked, whileLocked } from "./locked_retry.ts";

Deno.test("an operation refused with 'database is locked' is tried again; any other error is not", async () => {
  let calls = 0;
  const flaky = () => ++calls < 3 ? Promise.reject(new Error("database is locked")) : Promise.resolve("done");
  assert.equal(await whileLocked(flaky), "done");
  assert.equal(calls, 3);
  let other = 0;
  await assert.rejects(whileLocked(() => (other++, Promise.reject(new Error("disk I/O error")))), /disk I\/O/);
  assert.equal(other, 1);
});

Deno.test("a KV wrapped for locking retries its commits and single writes, and still commits what was staged", async () => {
  const kv = await Deno.openKv(":memory:");
  let refusals = 2;
  // A real KV whose first two commits are refused as another process holding the file would.
  const busy = new Proxy(kv, {
    get(target, prop) {
      if (prop !== "atomic") {
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return () => {
        const op = target.atomic();
        const commit = op.commit.bind(op);
        op.commit = () => refusals-- > 0 ? Promise.reject(new Error("database is locked")) : commit();
        return op;
      };
    },
  });
  const wrapped = retryingWhenLocked(busy);
  const result = await wrapped.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], 1).sum(["n"], 2n).commit();
  assert.ok(result.ok);
  assert.equal((await wrapped.get(["a"])).value, 1);
  assert.equal(refusals, -1, "refused twice, then committed once");
  kv.close();
});
