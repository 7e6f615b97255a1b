import assert from "node:assert/strict";
import type { Person } from "../model.ts";
import { mergePerson, recordBytes, rosterHash, rosterMaySetLanguage } from "./roster_person.ts";

Deno.test("mergePerson keeps STOP only for the same number and takes preferences by device place", () => {
  const roster = {
    id: "g",
    kind: "guardian" as const,
    firstName: "A",
    lastName: "B",
    schoolIds: ["s"],
    studentIds: [],
  };
  const current = {
    ...roster,
    devices: [
      {
        id: "mobile",
        kind: "phone" as const,
        address: "+16125550101",
        text: true,
        general: false,
        priority: true,
        emergency: true,
        textOptOutAt: "2026-11-01T00:00:00.000Z",
      },
    ],
  };
  const same = mergePerson(current, { ...roster, mobile: "+16125550101" });
  assert.equal(same.devices[0].textOptOutAt, "2026-11-01T00:00:00.000Z");
  const moved = mergePerson(current, { ...roster, mobile: "+16125550199" });
  assert.equal(moved.devices[0].textOptOutAt, undefined);
  assert.equal(moved.devices[0].general, false, "the family's choice for their mobile stays with the new number");
});

const student = {
  id: "s",
  kind: "student" as const,
  firstName: "Ann",
  lastName: "Lee",
  schoolIds: ["a", "b"],
  grade: "3",
  studentIds: [],
};

Deno.test("rosterHash: equal for the same roster fields in any order of schools, different for any field changed", () => {
  assert.equal(rosterHash(student), rosterHash({ ...student, schoolIds: ["b", "a"] }));
  const changed = [
    { ...student, lastName: "Li" },
    { ...student, schoolIds: ["a"] },
    { ...student, grade: "4" },
    { ...student, email: "ann@example.com" },
    { ...student, mobile: "+16125550101" },
    { ...student, phone: "+16125550101" },
    { ...student, kind: "staff" as const },
  ];
  for (const other of changed) assert.notEqual(rosterHash(other), rosterHash(student), JSON.stringify(other));
  // The same number as a text phone or a voice phone is a different record.
  assert.notEqual(
    rosterHash({ ...student, mobile: "+16125550101" }),
    rosterHash({ ...student, phone: "+16125550101" }),
  );
});

Deno.test("recordBytes counts two bytes a character once any character is past U+00FF", () => {
  const plain = recordBytes({ ...student, firstName: "a".repeat(1000) });
  const latin = recordBytes({ ...student, firstName: "é".repeat(1000) });
  const wide = recordBytes({ ...student, firstName: "ā".repeat(1000) });
  assert.equal(latin, plain);
  assert.equal(wide - 400, 2 * (plain - 400));
});

Deno.test("rosterHash: a roster without languages hashes as before languages were read; a language changes it", () => {
  assert.equal(rosterHash(student), "3qrn4nnvjx", "the hash every import before languages stored");
  assert.notEqual(rosterHash({ ...student, language: "es" }), rosterHash(student));
  assert.notEqual(rosterHash({ ...student, language: "es" }), rosterHash({ ...student, language: "vi" }));
  assert.notEqual(rosterHash({ ...student, language: null }), rosterHash(student), "a bad cell is looked at again");
});

Deno.test("mergePerson: the roster's language only where the family has not chosen one", () => {
  const stored = (fields: Partial<Person>): Person => ({ ...student, devices: [], ...fields });
  // New, or a language the roster gave: the roster's, marked as the roster's.
  assert.deepEqual(
    [mergePerson(null, { ...student, language: "es" })].map((p) => [p.language, p.languageFromRoster]),
    [["es", true]],
  );
  const fromRoster = stored({ language: "es", languageFromRoster: true });
  assert.equal(mergePerson(fromRoster, { ...student, language: "vi" }).language, "vi");
  const dropped = mergePerson(fromRoster, student);
  assert.deepEqual(
    [dropped.language, dropped.languageFromRoster],
    [undefined, undefined],
    "the roster no longer gives one",
  );
  // A cell that is no tag: the stored language stays, still the roster's.
  const bad = mergePerson(fromRoster, { ...student, language: null });
  assert.deepEqual([bad.language, bad.languageFromRoster], ["es", true]);
  // The family chose (even "no preference"): never changed, the stamp kept.
  const chosen = stored({ language: "so", languageChosenAt: "2026-11-20T10:00:00.000Z" });
  const kept = mergePerson(chosen, { ...student, language: "es" });
  assert.deepEqual([kept.language, kept.languageChosenAt, kept.languageFromRoster], [
    "so",
    "2026-11-20T10:00:00.000Z",
    undefined,
  ]);
  assert.equal(
    mergePerson(stored({ languageChosenAt: "2026-11-20T10:00:00.000Z" }), { ...student, language: "es" })
      .language,
    undefined,
  );
  // A language stored before rosters gave languages (the family's or the office's, unmarked) stays too.
  assert.equal(mergePerson(stored({ language: "ht" }), { ...student, language: "es" }).language, "ht");
  assert.deepEqual(
    [null, fromRoster, stored({}), chosen, stored({ language: "ht" })].map(rosterMaySetLanguage),
    [true, true, true, false, false],
  );
});
