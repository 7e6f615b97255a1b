/**
 * Languages from the roster: users.csv's `metadata.language` (or
 * `preferredLanguage`) read as an IETF tag, a bad one a problem row that
 * leaves the rest of the row applied, and a language the family chose never
 * overwritten by an import.
 */
import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import type { Db } from "../store/kv.ts";
import { getPerson, savePerson } from "../store/people.ts";
import { saveFamilyChoices } from "../preferences.ts";
import { applyImport, startApply } from "./apply.ts";
import { importNow } from "./import.ts";
import { by, ORGS, preview, problems, upload, USERS_HEAD } from "./test_fixtures.ts";

const HEAD = `${USERS_HEAD},metadata.language,preferredLanguage`;

/** A guardian at School One: their users.csv row with the two language columns. */
const guardian = (id: string, lastName: string, metadata: string, preferred = "") =>
  `${id},,,true,s1,guardian,${id},,Pat,${lastName},,,${id}@mail.example,,,,,,${metadata},${preferred}`;

const files = (...rows: string[]) => ({ "orgs.csv": ORGS, "users.csv": `${HEAD}\n${rows.join("\n")}\n` });

const languageOf = async (db: Db, id: string) => (await getPerson(db, id))!.value.language;

Deno.test("users.csv's metadata.language, or preferredLanguage, is each person's language; a bad tag is a problem row naming the column, and the rest of its row still applies", () =>
  withDb(async (db) => {
    const first = await importNow(
      db,
      upload(files(
        guardian("g1", "Diaz", "es-MX"),
        guardian("g2", "Nguyen", "", "vi"),
        guardian("g3", "Martin", "fr"),
        guardian("g4", "Lee", ""),
      )),
      by,
    );
    assert.equal(first.summary!.problems, 0);
    assert.deepEqual(await Promise.all(["g1", "g2", "g3", "g4"].map((id) => languageOf(db, id))), [
      "es-MX",
      "vi",
      "fr",
      undefined,
    ]);
    assert.equal((await getPerson(db, "g1"))!.value.languageFromRoster, true);

    // g3 is renamed and their language cell broken; g2's preferredLanguage yields to metadata.language.
    const p = await preview(
      db,
      files(
        guardian("g1", "Diaz", "es-MX"),
        guardian("g2", "Nguyen", "ko", "vi"),
        guardian("g3", "Martin-Roy", "fr_CA!"),
        guardian("g4", "Lee", "x".repeat(30)),
      ),
    );
    assert.deepEqual((await problems(db, p.id)).map((x) => `${x.file}:${x.line} ${x.sourcedId} ${x.reason}`), [
      'users.csv:4 g3 metadata.language "fr_CA!" is not a language tag (like es, so or zh-Hant); ' +
      "the rest of the row is applied, the language left as it was",
      `users.csv:5 g4 metadata.language "${"x".repeat(30)}" is longer than 20 characters; ` +
      "the rest of the row is applied, the language left as it was",
    ]);
    assert.equal(p.summary!.skipped, 0, "nobody is left out for a language");
    assert.deepEqual(p.summary!.update, { student: 0, guardian: 3, staff: 0 });
    const detail = Object.fromEntries(p.summary!.samples.update.map((s) => [s.id, s.detail]));
    assert.equal(detail.g2, "language");
    assert.equal(detail.g3, "name, language not read (see the problem rows)");
    assert.equal(detail.g4, "language not read (see the problem rows)");
    assert.equal(await startApply(db, p.id, by, { skipProblems: true }), "started");
    await applyImport(db, p.id, () => by.at);
    assert.equal((await getPerson(db, "g3"))!.value.lastName, "Martin-Roy", "the rest of the row applied");
    assert.equal(await languageOf(db, "g3"), "fr", "the language left as it was");
    assert.equal(await languageOf(db, "g2"), "ko");
    assert.equal(await languageOf(db, "g4"), undefined);
  }));

Deno.test("an import never overwrites a language the family chose; it still changes one the roster gave", () =>
  withDb(async (db) => {
    await importNow(
      db,
      upload(files(guardian("g1", "Diaz", "es"), guardian("g2", "Nguyen", "vi"), guardian("g3", "Martin", ""))),
      by,
    );
    // g1's family chooses Somali on their preferences page.
    const g1 = (await getPerson(db, "g1"))!;
    const chose = await saveFamilyChoices(db, g1, { language: "so", devices: {} }, "2026-11-26T17:00:00.000Z");
    assert.notEqual(typeof chose, "string");
    assert.equal((await getPerson(db, "g1"))!.value.languageChosenAt, "2026-11-26T17:00:00.000Z");
    // g2's family saves their page without changing the language: that is no choice, the roster's stays the roster's.
    await saveFamilyChoices(db, (await getPerson(db, "g2"))!, { language: "vi", devices: {} }, by.at);
    assert.equal((await getPerson(db, "g2"))!.value.languageChosenAt, undefined);
    // g3's language was recorded before rosters gave languages (unmarked): it is the family's too.
    const g3 = (await getPerson(db, "g3"))!;
    await savePerson(db, g3, { ...g3.value, language: "ht" });

    const p = await preview(
      db,
      files(guardian("g1", "Diaz", "pt"), guardian("g2", "Nguyen", "ko"), guardian("g3", "Martin", "es")),
    );
    const detail = Object.fromEntries(p.summary!.samples.update.map((s) => [s.id, s.detail]));
    assert.equal(detail.g1, "language kept: the family chose it");
    assert.equal(detail.g2, "language");
    assert.equal(detail.g3, "language kept: the family chose it");
    assert.equal(await startApply(db, p.id, by, { skipProblems: false }), "started");
    await applyImport(db, p.id, () => by.at);
    assert.equal(await languageOf(db, "g1"), "so");
    assert.equal((await getPerson(db, "g1"))!.value.languageChosenAt, "2026-11-26T17:00:00.000Z");
    assert.equal(await languageOf(db, "g2"), "ko");
    assert.equal(await languageOf(db, "g3"), "ht");

    // The family choosing "No preference" is a choice too: the roster's language does not come back.
    await saveFamilyChoices(db, (await getPerson(db, "g2"))!, { language: "", devices: {} }, by.at);
    const again = await importNow(
      db,
      upload(files(guardian("g1", "Diaz", "pt"), guardian("g2", "Nguyen", "vi"), guardian("g3", "Martin", "es"))),
      by,
    );
    assert.equal(again.summary!.unchanged, 2);
    assert.equal(await languageOf(db, "g2"), undefined);
  }));
