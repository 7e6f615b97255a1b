import assert from "node:assert/strict";
import { readDemoRoster } from "../demo.ts";
import { withDb } from "../../tests/support/fixtures.ts";
import { getImport } from "../store/roster_imports.ts";
import { importNow } from "./import.ts";
import { pruneImports } from "./prune.ts";
import { by, preview, problems, upload } from "./test_fixtures.ts";

Deno.test("old finished imports are pruned with their problem rows; the last applied one stays", () =>
  withDb(async (db) => {
    const files = await readDemoRoster();
    const applied = await importNow(db, upload(files), by);
    const bad = await preview(db, { ...files, "users.csv": files["users.csv"] + "x1,,,true,lincoln,wizard,x,,A,B\n" });
    assert.equal((await problems(db, bad.id)).length > 0, true);
    const now = Date.parse(by.at);
    assert.equal(await pruneImports(db, now + 10 * 86_400_000), 0, "recent imports stay");
    assert.equal(await pruneImports(db, now + 200 * 86_400_000), 1);
    assert.equal(await getImport(db, bad.id), null);
    assert.deepEqual(await problems(db, bad.id), []);
    assert.ok(await getImport(db, applied.id), "the last applied import is kept");
  }));
