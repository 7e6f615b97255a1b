import assert from "node:assert/strict";
import { collectFiles } from "./csv.ts";
import { parseRoster } from "./oneroster.ts";
import { gradeLabel, toE164 } from "./oneroster/cells.ts";
import { loopTurnsDuring, ORGS, students, upload, USERS_HEAD } from "./test_fixtures.ts";

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

const parse = async (files: Record<string, string>, opts: Parameters<typeof parseRoster>[1] = {}) =>
  parseRoster(await collectFiles(upload(files)), opts);
const users = (...rows: string[]) => [USERS_HEAD, ...rows].join("\n") + "\n";
const SESSIONS = "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n";

Deno.test("manifest.csv: each file bulk, delta or absent; a file it lists but the upload lacks is a problem", async () => {
  const manifest = "propertyName,value\nfile.users,delta\nfile.orgs,bulk\nfile.academicSessions,sometimes\n";
  const parsed = await parse({ "manifest.csv": manifest, "users.csv": users() });
  assert.deepEqual(parsed.modes, { orgs: "absent", academicSessions: "absent", users: "delta" });
  assert.deepEqual(parsed.problems.map((p) => p.reason), [
    "lists orgs.csv as bulk but it is not in the upload",
    'file.academicSessions is "sometimes", not bulk, delta or absent',
  ]);
  const without = await parse({ "orgs.csv": ORGS, "users.csv": users() });
  assert.deepEqual(without.modes, { orgs: "bulk", academicSessions: "absent", users: "bulk" });
});

Deno.test("academicSessions.csv: a school year is a calendar for each school; terms are checked, not kept", async () => {
  const orgs = ORGS + "s2,,,School Two,school,,d\n";
  const sessions = SESSIONS + "y,,,2026-27,schoolYear,2026-08-19,2027-06-04,,2027\n" +
    "t,,,Fall,term,2026-08-19,2026-12-18,y,2027\nbad,,,Spring,term,2027-06-01,2027-01-01,y,2027\n";
  const parsed = await parse({ "orgs.csv": orgs, "academicSessions.csv": sessions });
  assert.deepEqual(parsed.calendars.map((c) => [c.id, c.name, c.schoolYear, c.startDate, c.endDate]), [
    ["s1-2026", "2026-27 School One", "2026-27", "2026-08-19", "2027-06-04"],
    ["s2-2026", "2026-27 School Two", "2026-27", "2026-08-19", "2027-06-04"],
  ]);
  assert.deepEqual(parsed.problems.map((p) => `${p.line} ${p.reason}`), ["4 endDate is before startDate"]);
});

Deno.test("users.csv: guardians and students link from either side; a guardian is in their students' schools", async () => {
  const orgs = ORGS + "s2,,,School Two,school,,d\n";
  const parsed = await parse({
    "orgs.csv": orgs,
    "users.csv": users(
      "u1,,,true,s1,student,u1,,Ann,Lee,,,,,,g1,KG,",
      "u2,,,true,s2,student,u2,,Bo,Lee,,,,,,,05,",
      "g1,,,true,d,parent,g1,,Cy,Lee,,,cy@example.com,612-555-0101,612-555-0101,u2,,",
      "t1,,,true,d,teacher,t1,,Di,Ray,,,,,,,,",
    ),
    "enrollments.csv": "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role\n" +
      "e1,c1,s2,t1,teacher\ne2,c1,s2,g1,guardian\ne3,c1,s1,nobody,student\n",
  });
  const g1 = parsed.people.get("g1")!;
  assert.deepEqual(g1.studentIds.sort(), ["u1", "u2"]);
  assert.deepEqual(g1.schoolIds.sort(), ["s1", "s2"]);
  assert.equal(g1.mobile, "+16125550101");
  assert.equal(g1.phone, undefined, "the voice phone is the text phone: one device");
  assert.equal(parsed.people.get("u1")!.grade, "K");
  assert.deepEqual(parsed.people.get("t1")!.schoolIds, ["s2"], "an enrollment places staff in its school");
  assert.deepEqual(parsed.counts.roles, { student: 2, parent: 1, teacher: 1 });
  assert.equal(parsed.counts.enrollments, 2);
  assert.deepEqual(parsed.problems.map((p) => `${p.file}:${p.line} ${p.reason}`), [
    "enrollments.csv:4 unknown user nobody in userSourcedId",
  ]);
});

Deno.test("a delta users.csv lists deletions and may link to people already in Messenger, and only to them", async () => {
  const manifest = "propertyName,value\nfile.users,delta\n";
  let asked: string[] = [];
  const parsed = await parse({
    "manifest.csv": manifest,
    "users.csv": users(
      "g1,,,true,s1,guardian,g1,,Cy,Lee,,,,,,old1,,",
      "g2,,,true,s1,guardian,g2,,Di,Lee,,,,,,ghost,,",
      "g3,tobedeleted,,true,s1,guardian,g3,,Ed,Lee,,,,,,,,",
    ),
  }, {
    knownSchools: new Set(["s1"]),
    knownPeople: (ids) => {
      asked = ids;
      return Promise.resolve(new Map([["old1", "student" as const]]));
    },
  });
  assert.deepEqual(asked.sort(), ["ghost", "old1"]);
  assert.deepEqual(parsed.people.get("g1")!.studentIds, ["old1"]);
  assert.ok(!parsed.people.has("g2") && parsed.badPeople.has("g2"));
  assert.deepEqual([...parsed.deleted], ["g3"]);
  assert.deepEqual(parsed.problems.map((p) => p.reason), ["agentSourcedIds names ghost, who is not in users.csv"]);
});

Deno.test("a users.csv that cannot be read to its end counts as absent, so that nobody after the break is removed", async () => {
  const parsed = await parse({
    "orgs.csv": ORGS,
    "users.csv": users("u1,,,true,s1,student,u1,,Ann,Lee,,,,,,,03,", 'u2,,,true,s1,student,u2,,"Bo'),
  });
  assert.equal(parsed.modes.users, "absent");
  assert.equal(parsed.problems.length, 1);
  assert.match(parsed.problems[0].reason, /^cannot be read as CSV past this line/);
});
