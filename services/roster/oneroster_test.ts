import assert from "node:assert/strict";
import { collectFiles } from "./csv.ts";
import { parseRoster } from "./oneroster.ts";
import { gradeLabel, toE164 } from "./oneroster/cells.ts";
import { loopTurnsDuring, ORGS, students, upload } from "./test_fixtures.ts";

Deno.test("phone numbers become E.164 or are refused; grade codes read as people say them", () => {
  assert.equal(toE164("(612) 555-0101"), "+16125550101");
  assert.equal(toE164("612.555.0101"), "+16125550101");
  assert.equal(toE164("+44 20 7946 0958"), "+442079460958");
  assert.equal(toE164("555-0101"), null);
  assert.equal(toE164("call me"), null);
  assert.equal(toE164("0612 555 0101", "US"), null);
  assert.equal(gradeLabel("KG"), "K");
  assert.equal(gradeLabel("03"), "3");
  assert.equal(gradeLabel("12"), "12");
  assert.equal(gradeLabel("PK"), "PK");
});

Deno.test("parsing a large users.csv lets other tasks run between slices", async () => {
  const files = await collectFiles(upload({ "orgs.csv": ORGS, "users.csv": students(60_000) }));
  const { result: parsed, turns } = await loopTurnsDuring(() => parseRoster(files));
  assert.equal(parsed.people.size, 60_000);
  assert.ok(turns >= 3, `a timer ran ${turns} times while 60,000 rows were parsed`);
});
