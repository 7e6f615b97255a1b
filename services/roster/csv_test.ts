import assert from "node:assert/strict";
import { strToU8, zipSync } from "fflate";
import { collectFiles, CsvFileError, type Row, rows, SLICE_MS, slicer, UploadError, type UploadLimits } from "./csv.ts";
import { loopTurnsDuring, students, USERS_HEAD } from "./test_fixtures.ts";

Deno.test("a zip and loose CSVs are read alike; other files are named as ignored; a broken zip is refused", async () => {
  const zip = zipSync({
    "export/users.csv": strToU8("a\n"),
    "export/readme.txt": strToU8("x"),
    "orgs.csv": strToU8("b\n"),
  });
  const fromZip = await collectFiles([{ name: "roster.zip", bytes: zip }]);
  assert.deepEqual([...fromZip.files.keys()].sort(), ["orgs.csv", "users.csv"]);
  assert.equal(new TextDecoder().decode(fromZip.files.get("users.csv")), "a\n");
  const loose = await collectFiles([
    { name: "Users.CSV", bytes: strToU8("a\n") },
    { name: "notes.txt", bytes: strToU8("") },
  ]);
  assert.deepEqual([...loose.files.keys()], ["users.csv"]);
  assert.deepEqual(loose.ignored, ["notes.txt"]);
  await assert.rejects(collectFiles([{ name: "r.zip", bytes: new Uint8Array([0x50, 0x4b, 1, 2, 3]) }]), UploadError);
  await assert.rejects(
    collectFiles([{ name: "users.csv", bytes: strToU8("a") }, { name: "r.zip", bytes: zip }]),
    /users.csv appears twice/,
  );
});

/** Caps a few KB high, so every refusal is reached with small files. */
const SMALL: UploadLimits = {
  fileBytes: 64 * 1024,
  totalBytes: 96 * 1024,
  ratio: 20,
  ratioAfter: 16 * 1024,
  entries: 5,
  recordBytes: 1024,
};

Deno.test("an upload over a cap is refused before anything is stored: a file, all files, the ratio, the files, a row", async () => {
  const refused = (uploads: { name: string; bytes: Uint8Array }[], limits: UploadLimits) =>
    assert.rejects(collectFiles(uploads, limits), UploadError);
  const big = strToU8(students(1500));
  assert.ok(big.length > SMALL.fileBytes);
  await refused([{ name: "users.csv", bytes: big }], SMALL);
  await assert.rejects(collectFiles([{ name: "users.csv", bytes: big }], SMALL), /users\.csv is larger than 64 KB/);
  await assert.rejects(
    collectFiles([{ name: "roster.zip", bytes: zipSync({ "users.csv": big }) }], SMALL),
    /users\.csv in roster\.zip is larger than 64 KB once unzipped/,
  );
  await assert.rejects(
    collectFiles([{ name: "users.csv", bytes: strToU8(students(1200)) }, {
      name: "enrollments.csv",
      bytes: strToU8(students(1200)),
    }], SMALL),
    /the files come to more than 96 KB once unzipped/,
  );
  // 40 KB of one short row repeated: far more compressible than any roster.
  const bomb = zipSync({ "users.csv": strToU8("a,b\n".repeat(10_000)) });
  await assert.rejects(
    collectFiles([{ name: "roster.zip", bytes: bomb }], SMALL),
    /users\.csv in roster\.zip unzips to more than 20 times its compressed size/,
  );
  const crowded = zipSync(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.txt`, strToU8("x")])));
  await assert.rejects(
    collectFiles([{ name: "roster.zip", bytes: crowded }], SMALL),
    /roster\.zip holds more than 5 files/,
  );
  await assert.rejects(
    collectFiles(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, bytes: strToU8("x") })), SMALL),
    /the upload holds more than 5 files/,
  );
  await assert.rejects(
    collectFiles([{ name: `${"n".repeat(300)}.csv`, bytes: strToU8("x") }], SMALL),
    /a file name longer than 255 characters/,
  );
  // A quoted field's newlines stay inside its row: the row is counted whole.
  const quoted = `${USERS_HEAD}\nu1,,,true,s1,student,u1,,"${"a\n".repeat(600)}",Lee,,,,,,,03,\n`;
  await assert.rejects(
    collectFiles([{ name: "users.csv", bytes: strToU8(quoted) }], SMALL),
    /users\.csv, line 2: a row longer than 1 KB/,
  );
  await assert.rejects(
    collectFiles([{ name: "roster.zip", bytes: zipSync({ "users.csv": strToU8(quoted) }) }], SMALL),
    /users\.csv in roster\.zip, line 2: a row longer than 1 KB/,
  );
  // An unclosed quote makes the rest of the file one row.
  const open = `${USERS_HEAD}\nu1,,,true,s1,student,u1,,"Ann,Lee,,,,,,,03,\n${
    students(100).slice(USERS_HEAD.length + 1)
  }`;
  await assert.rejects(collectFiles([{ name: "users.csv", bytes: strToU8(open) }], SMALL), /line 2: a row longer/);
  // Just under every cap is accepted.
  const fine = await collectFiles(
    [{ name: "roster.zip", bytes: zipSync({ "users.csv": strToU8(students(1000)) }) }],
    SMALL,
  );
  assert.deepEqual([...fine.files.keys()], ["users.csv"]);
});

Deno.test("unzipping a large upload lets other tasks run between slices", async () => {
  const zip = zipSync({ "users.csv": strToU8(students(200_000)) });
  const { result: files, turns } = await loopTurnsDuring(() => collectFiles([{ name: "roster.zip", bytes: zip }]));
  assert.ok(files.files.get("users.csv")!.length > 10_000_000);
  assert.ok(turns >= 3, `a timer ran ${turns} times while 10 MB were unzipped and checked`);
});

async function readAll(text: string) {
  let columns: string[] = [];
  const out: Row[] = [];
  for await (const row of rows(strToU8(text), (h) => (columns = h.columns))) out.push(row);
  return { columns, rows: out };
}

Deno.test("rows: cells by header name, trimmed; empty lines skipped; a row's line is where it ends (a quoted newline counts)", async () => {
  const read = await readAll('\uFEFFsourcedId, givenName ,email\nu1, Ann ,a@x.org\n\nu2,"Bo\nBo",\nu3\n');
  assert.deepEqual(read.columns, ["sourcedId", "givenName", "email"], "the BOM and the spaces go");
  assert.deepEqual(read.rows.map((r) => [r.line, r.get("sourcedId"), r.get("givenName"), r.width]), [
    [2, "u1", "Ann", 3],
    [5, "u2", "Bo\nBo", 3],
    [6, "u3", "", 1],
  ]);
  assert.equal(read.rows[0].get("no such column"), "");
});

Deno.test("rows: a file the parser cannot read on is a CsvFileError naming the line", async () => {
  await assert.rejects(readAll('sourcedId,givenName\nu1,Ann\nu2,"Bo\n'), (e) => {
    assert.ok(e instanceof CsvFileError);
    assert.ok(e.line >= 3, `line ${e.line}`);
    return true;
  });
});

Deno.test("slicer: lets the event loop run, and calls `between`, only once SLICE_MS have passed", async () => {
  let between = 0;
  const slice = slicer(() => {
    between++;
    return Promise.resolve();
  });
  await slice();
  assert.equal(between, 0, "no pause right away");
  const until = performance.now() + SLICE_MS + 5;
  while (performance.now() < until) { /* busy, as parsing is */ }
  let timerRan = false;
  setTimeout(() => (timerRan = true), 0);
  await slice();
  assert.equal(between, 1);
  assert.ok(timerRan, "a timer due meanwhile ran inside the slice");
  await slice();
  assert.equal(between, 1, "the clock starts again after a pause");
});
