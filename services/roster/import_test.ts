import assert from "node:assert/strict";
import { readDemoRoster } from "../demo.ts";
import { withDb } from "../../tests/support/fixtures.ts";
import { getPerson, listPeopleInSchool, savePerson } from "../store/people.ts";
import { getCalendar, listSchools } from "../store/district.ts";
import { getImport, saveUploadedFile } from "../store/roster_imports.ts";
import { collectFiles } from "./csv.ts";
import { parseRoster } from "./oneroster.ts";
import { applyImport, startApply } from "./apply.ts";
import { failImport, importNow } from "./import.ts";
import { buildPreview } from "./preview.ts";
import { createImport } from "./upload.ts";
import { by, ORGS, preview, problems, students, upload, USERS_HEAD } from "./test_fixtures.ts";

const demoFiles = (): Promise<Record<string, string>> => readDemoRoster();

/** users.csv without one person: their row gone and their id out of everyone's agentSourcedIds. */
function withoutUser(csv: string, id: string): string {
  return csv.split("\n").filter((l) => !l.startsWith(`${id},`)).map((line) => {
    const cells = [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1]).slice(0, 18);
    if (cells.length < 16) return line;
    const agents = cells[15].replace(/"/g, "").split(",").filter((a) => a && a !== id);
    cells[15] = agents.length > 1 ? `"${agents.join(",")}"` : agents.join(",");
    return cells.join(",");
  }).join("\n");
}

Deno.test("a row longer than csv-parse's max_record_size stops the file there (files stored before the upload check)", () =>
  withDb(async (db) => {
    const users = `${USERS_HEAD}\nu1,,,true,s1,student,u1,,"${"a".repeat(70_000)}",Lee,,,,,,,03,\n`;
    const created = await createImport(db, upload({ "orgs.csv": ORGS }), by);
    // As an import stored by an older version would be, past the upload check.
    await saveUploadedFile(db, created.id, "users.csv", new TextEncoder().encode(users));
    const p = await buildPreview(db, created.id);
    assert.equal(p.status, "ready");
    const found = (await problems(db, p.id)).map((x) => `${x.file}:${x.line} ${x.reason}`);
    assert.equal(found.length, 1);
    assert.match(found[0], /^users\.csv:\d+ cannot be read as CSV past this line: Max Record Size/);
  }));

Deno.test("a person too large for a KV value is a problem row; many large ones apply in commits within KV's limits", () =>
  withDb(async (db) => {
    // "ā" makes the whole name a two-byte string: 33,000 characters take 66 KB in KV, over its 64 KiB a value.
    const huge = "ā" + "a".repeat(33_000);
    const large = "b".repeat(12_000);
    const users = [
      USERS_HEAD,
      `big,,,true,s1,student,big,,${huge},Lee,,,,,,,03,`,
      `mail,,,true,s1,guardian,mail,,Mo,Lee,,,${huge}@example.com,,,,,`,
      ...Array.from({ length: 60 }, (_, i) => `l${i},,,true,s1,student,l${i},,${large},Lee,,,,,,,03,`),
      "ok,,,true,s1,student,ok,,Ann,Lee,,,,,,,03,",
    ].join("\n") + "\n";
    // Schools and calendars share one value: a school with that name would take it over 64 KiB.
    const orgs = `${ORGS}s2,,,${huge},school,,d\n`;
    const p = await preview(db, { "orgs.csv": orgs, "users.csv": users });
    assert.equal(p.status, "ready");
    const found = await problems(db, p.id);
    assert.deepEqual(found.map((x) => `${x.file}:${x.line} ${x.sourcedId}`), [
      "orgs.csv:4 s2",
      "users.csv:2 big",
      "users.csv:3 mail",
    ]);
    assert.equal(found[0].reason, "name is longer than 200 characters");
    assert.match(found[1].reason, /^the row is too large: \d+ KB to store, more than 16 KB/);
    assert.ok(found[2].reason.length < 600, "the bad email is quoted in part, not whole");
    assert.match(found[2].reason, /^email "ā+a+…" is not an email address$/);
    assert.deepEqual(p.summary!.add, { student: 61, guardian: 0, staff: 0 });
    assert.ok(p.summary!.samples.add.every((s) => s.name.length <= 200), "the preview's samples stay small");
    assert.equal(await startApply(db, p.id, by, { skipProblems: true }), "started");
    const applied = await applyImport(db, p.id, () => by.at);
    assert.equal(applied.status, "applied");
    assert.equal((await getPerson(db, "l59"))!.value.firstName, large);
    assert.equal(await getPerson(db, "big"), null);
  }));

Deno.test("a failed import keeps a reason short enough to store, however long the error", () =>
  withDb(async (db) => {
    const created = await createImport(db, upload(await demoFiles()), by);
    await failImport(db, created.id, "Preview stopped: " + "x".repeat(100_000));
    const failed = (await getImport(db, created.id))!.value;
    assert.equal(failed.status, "failed");
    assert.ok(failed.error!.startsWith("Preview stopped: xxx"));
    assert.ok(failed.error!.length <= 1000);
  }));

Deno.test("a preview that loses its job's lease stops and leaves the import to the job's new holder", () =>
  withDb(async (db) => {
    const created = await createImport(db, upload({ "orgs.csv": ORGS, "users.csv": students(60_000) }), by);
    let asked = 0;
    await assert.rejects(
      buildPreview(db, created.id, {
        onSlice: () => {
          asked++;
          return Promise.resolve(false);
        },
      }),
      /lost the job's lease/,
    );
    assert.equal(asked, 1);
    assert.equal((await getImport(db, created.id))!.value.status, "previewing");
  }));

Deno.test("the demo OneRoster set imports whole: schools, calendars, people, links and devices", () =>
  withDb(async (db) => {
    const done = await importNow(db, upload(await demoFiles()), by);
    assert.equal(done.status, "applied");
    assert.equal(done.summary!.problems, 0);
    assert.deepEqual(done.summary!.add, { student: 300, guardian: 400, staff: 36 });
    assert.deepEqual((await listSchools(db)).map((s) => s.id).sort(), ["lincoln", "roosevelt", "washington"]);
    const cal = await getCalendar(db, "lincoln-2026");
    assert.equal(cal?.startDate, "2026-08-19");
    assert.equal(cal?.name, "2026-27 Lincoln Elementary");
    const stu1 = (await getPerson(db, "stu1"))!.value;
    assert.equal(stu1.grade, "K");
    const gdn1 = (await getPerson(db, "gdn1"))!.value;
    assert.ok(gdn1.studentIds.includes("stu1"));
    assert.ok(gdn1.schoolIds.includes("lincoln"));
    assert.equal((await listPeopleInSchool(db, "lincoln", "student")).length, 100);
    // Every phone is stored E.164, also those written "(612) 555-…" in the file.
    const users = (await readDemoRoster())["users.csv"];
    const human = users.split("\n").find((l) => l.includes("(612)"))!;
    const person = (await getPerson(db, human.split(",")[0]))!.value;
    assert.ok(person.devices.some((d) => d.kind === "phone"));
    for (const d of person.devices.filter((d) => d.kind === "phone")) assert.match(d.address, /^\+1612555\d{4}$/);
  }));

Deno.test("re-importing the same files changes nothing", () =>
  withDb(async (db) => {
    const files = await demoFiles();
    await importNow(db, upload(files), by);
    const before = (await getPerson(db, "gdn5"))!;
    const again = await preview(db, files);
    assert.deepEqual(again.summary!.add, { student: 0, guardian: 0, staff: 0 });
    assert.deepEqual(again.summary!.update, { student: 0, guardian: 0, staff: 0 });
    assert.deepEqual(again.summary!.remove, { student: 0, guardian: 0, staff: 0 });
    assert.equal(again.summary!.unchanged, 736);
    assert.equal(again.progress.total, 0);
    assert.equal(await startApply(db, again.id, by, { skipProblems: false }), "started");
    await applyImport(db, again.id, () => by.at);
    assert.equal((await getPerson(db, "gdn5"))!.versionstamp, before.versionstamp);
  }));

Deno.test("every kind of bad row is reported with file, line and reason, and the good rows still apply", () =>
  withDb(async (db) => {
    const files = {
      "orgs.csv": ORGS,
      "users.csv": [
        USERS_HEAD,
        "u1,,,true,s1,student,u1,,Ann,Lee,,,,,,g1,03,",
        "g1,,,true,s1,guardian,g1,,Bo,Lee,,,bo@example.com,(612) 555-0101,,u1,,",
        "g2,,,true,s1,guardian,g2,,Cy,Lee,,,not-an-email,,,u1,,",
        "g3,,,true,s1,guardian,g3,,Di,Lee,,,,555-01,,u1,,",
        "u2,,,true,nowhere,student,u2,,Ed,Lee,,,,,,,03,",
        "u3,,,true,s1,wizard,u3,,Fa,Lee,,,,,,,03,",
        "u4,,,true,s1,student,u4,,,Lee,,,,,,,03,",
        "g4,,,true,s1,guardian,g4,,Gi,Lee,,,,,,nobody,,",
        "u1,,,true,s1,student,u1,,Ann,Again,,,,,,,03,",
        "u5,,,true,s1,student",
      ].join("\n") + "\n",
      "enrollments.csv": "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role\ne1,c1,s9,u1,student\n",
      "academicSessions.csv": "sourcedId,title,type\nsy,2026-27,schoolYear\n",
    };
    const p = await preview(db, files);
    const found = await problems(db, p.id);
    const lines = found.map((x) => `${x.file}:${x.line} ${x.reason}`);
    assert.deepEqual(lines, [
      "academicSessions.csv:1 missing required columns startDate, endDate, schoolYear",
      "enrollments.csv:2 unknown school s9 in schoolSourcedId",
      'users.csv:4 email "not-an-email" is not an email address',
      'users.csv:5 sms "555-01" cannot be read as a phone number (E.164)',
      "users.csv:6 unknown org nowhere in orgSourcedIds",
      'users.csv:7 role "wizard" is not one of student, guardian, parent, relative, teacher, administrator, aide, proctor',
      "users.csv:8 missing givenName",
      "users.csv:9 agentSourcedIds names nobody, who is not in users.csv",
      "users.csv:10 sourcedId u1 appears again (first on line 2)",
      "users.csv:11 has 6 fields where the header has 18",
    ]);
    assert.equal(p.summary!.problems, 10);
    assert.deepEqual(p.summary!.add, { student: 1, guardian: 1, staff: 0 });
    // With problems, applying needs the administrator's choice to skip them.
    assert.equal(await startApply(db, p.id, by, { skipProblems: false }), "needs-confirm");
    assert.equal(await getPerson(db, "u1"), null, "nothing changes before apply");
    assert.equal(await startApply(db, p.id, by, { skipProblems: true }), "started");
    await applyImport(db, p.id, () => by.at);
    const g1 = (await getPerson(db, "g1"))!.value;
    assert.deepEqual(g1.devices.map((d) => [d.id, d.address, d.text]), [
      ["email", "bo@example.com", false],
      ["mobile", "+16125550101", true],
    ]);
    assert.equal(await getPerson(db, "g2"), null);
    assert.equal((await getImport(db, p.id))!.value.status, "applied");
  }));

Deno.test("a person left out of a bulk users.csv is removed: no longer a recipient, record kept; back when listed again", () =>
  withDb(async (db) => {
    const files = await demoFiles();
    await importNow(db, upload(files), by);
    const without = withoutUser(files["users.csv"], "gdn1");
    const p = await preview(db, { ...files, "users.csv": without });
    assert.deepEqual(p.summary!.remove, { student: 0, guardian: 1, staff: 0 });
    assert.deepEqual(p.summary!.samples.remove.map((s) => s.id), ["gdn1"]);
    assert.equal(p.summary!.existing, 736);
    await startApply(db, p.id, by, { skipProblems: false });
    await applyImport(db, p.id, () => "2026-11-27T10:00:00.000Z");
    const gone = (await getPerson(db, "gdn1"))!.value;
    assert.equal(gone.removedAt, "2026-11-27T10:00:00.000Z");
    assert.equal(gone.firstName.length > 0, true, "the record (and so the Sent Message Log's name) stays");
    const guardians = await listPeopleInSchool(db, "lincoln", "guardian");
    assert.ok(!guardians.some((g) => g.id === "gdn1"));
    // Listing them again brings them back.
    const back = await preview(db, files);
    assert.deepEqual(back.summary!.update, { student: 0, guardian: 1, staff: 0 });
    assert.match(back.summary!.samples.update[0].detail ?? "", /back on the roster/);
    await startApply(db, back.id, by, { skipProblems: false });
    await applyImport(db, back.id, () => by.at);
    assert.equal((await getPerson(db, "gdn1"))!.value.removedAt, undefined);
  }));

Deno.test("a users.csv missing a required column removes nobody", () =>
  withDb(async (db) => {
    const files = await demoFiles();
    await importNow(db, upload(files), by);
    const broken = files["users.csv"].replace("givenName", "firstName");
    const p = await preview(db, { ...files, "users.csv": broken });
    assert.deepEqual(p.summary!.remove, { student: 0, guardian: 0, staff: 0 });
    assert.deepEqual((await problems(db, p.id)).map((x) => `${x.file}:${x.line} ${x.reason}`), [
      "users.csv:1 missing required column givenName",
    ]);
  }));

Deno.test("preferences a family set survive an import that changes their record", () =>
  withDb(async (db) => {
    const files = await demoFiles();
    await importNow(db, upload(files), by);
    const current = (await getPerson(db, "gdn1"))!;
    const email = current.value.devices.find((d) => d.kind === "email")!;
    await savePerson(db, current, {
      ...current.value,
      language: "es",
      devices: current.value.devices.map((d) => d.id === email.id ? { ...d, general: false, priority: false } : d),
    });
    const renamed = files["users.csv"].split("\n").map((l) => {
      if (!l.startsWith("gdn1,")) return l;
      const cells = l.split(",");
      cells[9] = "Newname";
      return cells.join(",");
    }).join("\n");
    const p = await preview(db, { ...files, "users.csv": renamed });
    assert.deepEqual(p.summary!.update, { student: 0, guardian: 1, staff: 0 });
    assert.equal(p.summary!.samples.update[0].detail, "name");
    await startApply(db, p.id, by, { skipProblems: false });
    await applyImport(db, p.id, () => by.at);
    const after = (await getPerson(db, "gdn1"))!.value;
    assert.equal(after.lastName, "Newname");
    assert.equal(after.language, "es");
    const e = after.devices.find((d) => d.id === email.id)!;
    assert.equal(e.general, false);
    assert.equal(e.priority, false);
    assert.equal(e.emergency, true);
  }));

Deno.test("a preview overtaken by another applied import cannot be applied", () =>
  withDb(async (db) => {
    const files = await demoFiles();
    const first = await preview(db, files);
    const second = await preview(db, files);
    assert.equal(await startApply(db, first.id, by, { skipProblems: false }), "started");
    assert.equal(await startApply(db, second.id, by, { skipProblems: false }), "busy");
    await applyImport(db, first.id, () => by.at);
    assert.equal(await startApply(db, second.id, by, { skipProblems: false }), "stale");
  }));

Deno.test("a delta users.csv updates and removes only the rows it names", () =>
  withDb(async (db) => {
    const files = await demoFiles();
    await importNow(db, upload(files), by);
    const manifest = files["manifest.csv"].replace("file.users,bulk", "file.users,delta");
    const gdn1 = files["users.csv"].split("\n").find((l) => l.startsWith("gdn1,"))!;
    const delta = [
      USERS_HEAD,
      gdn1.replace(/^gdn1,,/, "gdn1,tobedeleted,"),
    ].join("\n") + "\n";
    const parsed = await parseRoster(await collectFiles(upload({ "manifest.csv": manifest, "users.csv": delta })));
    assert.equal(parsed.modes.users, "delta");
    const p = await preview(db, { "manifest.csv": manifest, "users.csv": delta });
    assert.deepEqual(p.summary!.remove, { student: 0, guardian: 1, staff: 0 });
    assert.equal(p.summary!.unchanged, 0);
  }));
