import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import { dispatchContext } from "../dispatch/context.ts";
import { claimJob } from "../dispatch/jobs.ts";
import { getJob, jobsOfRun } from "../store/jobs.ts";
import { outboxProviders } from "../providers/outbox.ts";
import type { Db } from "../store/kv.ts";
import { getPerson } from "../store/people.ts";
import { getImport } from "../store/roster_imports.ts";
import { applyRoster, previewRoster, runRosterJob } from "./jobs.ts";
import { by, ORGS, students, upload } from "./test_fixtures.ts";
import { createImport } from "./upload.ts";

const NOW = Date.parse(by.at);

function context(db: Db) {
  const clock = { now: () => NOW };
  const enqueued: string[] = [];
  const ctx = dispatchContext({
    db,
    clock,
    providers: outboxProviders(db, clock),
    publicUrl: "http://localhost",
    enqueue: (id) => enqueued.push(id),
  });
  return { ctx, enqueued };
}

/** Claims and runs the one job enqueued last. */
async function runEnqueued(db: Db, ctx: ReturnType<typeof context>["ctx"], enqueued: string[]) {
  const job = (await claimJob(db, enqueued.at(-1)!, NOW))!;
  await runRosterJob(ctx, job);
  return job;
}

Deno.test("a preview job and an apply job take an upload to applied, and each leaves the due list when done", () =>
  withDb(async (db) => {
    const { ctx, enqueued } = context(db);
    const created = await createImport(db, upload({ "orgs.csv": ORGS, "users.csv": students(3) }), by);
    await previewRoster(ctx, created.id);
    assert.equal(enqueued.length, 1);
    const previewJob = await runEnqueued(db, ctx, enqueued);
    assert.equal(await getJob(db, previewJob.value.id), null);
    assert.equal((await getImport(db, created.id))!.value.status, "ready");
    assert.equal(await getPerson(db, "u0"), null, "a preview changes nobody");

    assert.equal(await applyRoster(ctx, created.id, by, false), "started");
    assert.equal(enqueued.length, 2);
    await runEnqueued(db, ctx, enqueued);
    assert.equal((await getImport(db, created.id))!.value.status, "applied");
    assert.equal((await getPerson(db, "u2"))!.value.kind, "student");
    assert.deepEqual(await jobsOfRun(db, created.id), []);
  }));

Deno.test("an import that cannot start applying gets no apply job", () =>
  withDb(async (db) => {
    const { ctx, enqueued } = context(db);
    const created = await createImport(db, upload({ "orgs.csv": ORGS, "users.csv": students(1) }), by);
    assert.equal(await applyRoster(ctx, created.id, by, false), "not-ready");
    assert.deepEqual(enqueued, []);
    assert.deepEqual(await jobsOfRun(db, created.id), []);
  }));

Deno.test("a roster job that failed on its last attempt marks the import Failed, with the stage and the reason", () =>
  withDb(async (db) => {
    const { ctx, enqueued } = context(db);
    const created = await createImport(db, upload({ "orgs.csv": ORGS, "users.csv": students(1) }), by);
    await previewRoster(ctx, created.id);
    const claimed = (await claimJob(db, enqueued[0], NOW))!;
    // Attempts past the limit died with the server: the job gives up instead of starting the same work again.
    await runRosterJob(ctx, { ...claimed, value: { ...claimed.value, attempts: 4 } });
    const failed = (await getImport(db, created.id))!.value;
    assert.equal(failed.status, "failed");
    assert.match(failed.error!, /^Preview stopped: it did not finish in 3 attempts/);
  }));
