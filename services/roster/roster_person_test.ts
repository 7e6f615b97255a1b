import assert from "node:assert/strict";
import { mergePerson, recordBytes, rosterHash } from "./roster_person.ts";

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
