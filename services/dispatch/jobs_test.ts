import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import { dueJobIds, getJob, type Job, PRIORITY, stageJobUpdate, stageNewJob } from "../store/jobs.ts";
import { claimJob, newJob } from "./jobs.ts";

Deno.test("due jobs: Emergency before Priority before General before roster imports, then oldest first", () =>
  withDb(async (db) => {
    const jobs = [
      newJob("send", "general-old", 100, "email"),
      newJob("roster_apply", "import", 50),
      newJob("send", "general-new", 300, "email"),
      newJob("send", "emergency", 400, "text", { priority: PRIORITY.emergency }),
      newJob("send", "priority", 200, "voice", { priority: PRIORITY.priority }),
      newJob("send", "later", 10_000, "email", { priority: PRIORITY.emergency }),
    ];
    for (const j of jobs) await stageNewJob(db.kv.atomic(), db, j).commit();
    const order = (await dueJobIds(db, 500)).map((id) => jobs.find((j) => j.id === id)!.runId);
    assert.deepEqual(order, ["emergency", "priority", "general-old", "general-new", "import"]);
    assert.deepEqual((await dueJobIds(db, 500, 2)).length, 2);
  }));

Deno.test("due jobs: a job written before priorities is still found, run and removed", () =>
  withDb(async (db) => {
    const legacy: Job = { id: "OLD1", kind: "finish", runId: "r1", dueAt: 100, attempts: 0, progress: 0 };
    await db.kv.atomic().set([db.districtId, "job", legacy.id], legacy).set(
      [db.districtId, "job_due", 100, "OLD1"],
      "OLD1",
    )
      .commit();
    const fresh = newJob("send", "r2", 200, "email");
    await stageNewJob(db.kv.atomic(), db, fresh).commit();
    assert.deepEqual(await dueJobIds(db, 500), [fresh.id, "OLD1"]);
    const claimed = (await claimJob(db, "OLD1", 500))!;
    assert.deepEqual(await dueJobIds(db, 500), [fresh.id], "claimed: due again only when its lease ends");
    await stageJobUpdate(db.kv.atomic(), db, claimed, null).commit();
    assert.equal(await getJob(db, "OLD1"), null);
    assert.deepEqual(await dueJobIds(db, Number.MAX_SAFE_INTEGER), [fresh.id]);
  }));
