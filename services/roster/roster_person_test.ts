import assert from "node:assert/strict";
import { mergePerson } from "./roster_person.ts";

Deno.test("mergePerson keeps STOP only for the same number and takes preferences by device place", () => {
  const current = {
    id: "g",
    kind: "guardian" as const,
    firstName: "A",
    lastName: "B",
    schoolIds: ["s"],
    studentIds: [],
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
  const roster = {
    id: "g",
    kind: "guardian" as const,
    firstName: "A",
    lastName: "B",
    schoolIds: ["s"],
    studentIds: [],
  };
  const same = mergePerson(current, { ...roster, mobile: "+16125550101" });
  assert.equal(same.devices[0].textOptOutAt, "2026-11-01T00:00:00.000Z");
  const moved = mergePerson(current, { ...roster, mobile: "+16125550199" });
  assert.equal(moved.devices[0].textOptOutAt, undefined);
  assert.equal(moved.devices[0].general, false, "the family's choice for their mobile stays with the new number");
});
