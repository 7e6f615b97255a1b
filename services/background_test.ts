import assert from "node:assert/strict";
import { Background } from "./background.ts";

Deno.test("settled waits for tasks started before and while it waits; a failure is logged, not thrown", async () => {
  const bg = new Background();
  const done: string[] = [];
  const errors: unknown[] = [];
  const log = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  try {
    bg.run("first", async () => {
      await new Promise((r) => setTimeout(r, 5));
      done.push("first");
      bg.run("second", async () => {
        await new Promise((r) => setTimeout(r, 5));
        done.push("second");
      });
    });
    bg.run("broken", () => Promise.reject(new Error("provider down")));
    await bg.settled();
  } finally {
    console.error = log;
  }
  assert.deepEqual(done, ["first", "second"]);
  assert.equal(errors.length, 1);
  assert.match(String((errors[0] as unknown[])[0]), /broken failed/);
});
