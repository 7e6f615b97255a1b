import assert from "node:assert/strict";
import type { Calendar, Device, Person } from "./model.ts";
import { devicesFor, previewRecipients, resolveRecipients } from "./recipients.ts";
import { createPeople } from "./store/people.ts";

const calendar: Calendar = {
  id: "cal1",
  schoolId: "s1",
  name: "Cal",
  schoolYear: "2026-27",
  startDate: "2026-08-17",
  endDate: "2027-05-28",
  noSchoolDays: [],
};
const dev = (id: string, kind: "email" | "phone", extra: Partial<Device> = {}): Device => ({
  id,
  kind,
  address: id,
  text: kind === "phone",
  general: true,
  priority: true,
  emergency: true,
  ...extra,
});
const person = (id: string, kind: Person["kind"], extra: Partial<Person> = {}): Person => ({
  id,
  kind,
  firstName: id,
  lastName: "X",
  schoolIds: ["s1"],
  studentIds: [],
  devices: [],
  ...extra,
});

const people: Person[] = [
  person("s1", "student", { grade: "3" }),
  person("s2", "student", { grade: "3" }),
  person("s3", "student", { grade: "4" }),
  // Guardian of two grade-3 students: one copy with the contacts message limit.
  person("g1", "guardian", { studentIds: ["s1", "s2"], devices: [dev("g1e", "email"), dev("g1p", "phone")] }),
  // Opted out of texts by STOP; general calls off on the second phone.
  person("g2", "guardian", {
    studentIds: ["s2"],
    devices: [
      dev("g2p", "phone", { textOptOutAt: "2026-11-01T00:00:00Z" }),
      dev("g2h", "phone", { general: false, text: false }),
    ],
  }),
  // No devices at all.
  person("g3", "guardian", { studentIds: ["s3"] }),
  // Emergency only.
  person("g4", "guardian", { studentIds: ["s3"], devices: [dev("g4e", "email", { general: false, priority: false })] }),
  person("t1", "staff", { devices: [dev("t1e", "email")] }),
];

async function preview(
  recipients: Partial<Parameters<typeof previewRecipients>[1]["recipients"]>,
  type: "general" | "emergency" = "general",
) {
  const kv = await Deno.openKv(":memory:");
  const db = { kv, districtId: "d" };
  await createPeople(db, people);
  const result = await previewRecipients(db, {
    type,
    modes: ["inbox", "email", "text", "voice"],
    recipients: { types: [], grades: [], personIds: [], oneCopyPerGuardian: true, ...recipients },
  }, calendar);
  kv.close();
  return result;
}

Deno.test("devicesFor: type flags, the text flag and STOP opt-outs", () => {
  const [, , , g1, g2, g3, g4] = people;
  assert.equal((devicesFor(g1, "text", "general") as Device[]).length, 1);
  assert.equal(devicesFor(g2, "text", "general"), "optedOut");
  assert.deepEqual((devicesFor(g2, "voice", "general") as Device[]).map((d) => d.id), ["g2p"]);
  assert.deepEqual((devicesFor(g2, "voice", "emergency") as Device[]).map((d) => d.id), ["g2p", "g2h"]);
  assert.equal(devicesFor(g3, "email", "general"), "noDevice");
  assert.equal(devicesFor(g4, "email", "general"), "optedOut");
  assert.equal((devicesFor(g4, "email", "emergency") as Device[]).length, 1);
  assert.equal(devicesFor(g4, "text", "emergency"), "noDevice");
});

Deno.test("guardians of grade 3 with the contacts message limit: one copy each", async () => {
  const p = await preview({ types: ["guardians"], grades: ["3"] });
  assert.equal(p.people, 2);
  assert.equal(p.copies, 2);
  assert.equal(p.limited, 1, "g1 would have had a copy per student");
  assert.deepEqual(p.byMode.email, { people: 1, devices: 1, noDevice: 1, optedOut: 0 });
  assert.deepEqual(p.byMode.text, { people: 1, devices: 1, noDevice: 0, optedOut: 1 });
  assert.deepEqual(p.byMode.voice, { people: 2, devices: 2, noDevice: 0, optedOut: 0 });
  assert.deepEqual(p.byMode.inbox, { people: 2, devices: 2, noDevice: 0, optedOut: 0 });
});

Deno.test("without the limit a guardian gets a copy per student", async () => {
  const p = await preview({ types: ["guardians"], grades: ["3"], oneCopyPerGuardian: false });
  assert.equal(p.copies, 3);
  assert.equal(p.people, 2);
  assert.equal(p.limited, 0);
});

Deno.test("students, staff and individuals, without duplicates; emergency reaches emergency-only devices", async () => {
  const p = await preview(
    { types: ["students", "staff", "individuals"], personIds: ["t1", "g4", "nobody"] },
    "emergency",
  );
  assert.deepEqual(p.byType, { students: 3, staff: 1, individuals: 1 });
  assert.equal(p.people, 5);
  assert.deepEqual(p.byMode.email, { people: 2, devices: 2, noDevice: 3, optedOut: 0 });
});

Deno.test("individuals: only people of the calendar's school are resolved, whenever the message was saved", async () => {
  const kv = await Deno.openKv(":memory:");
  const db = { kv, districtId: "d" };
  await createPeople(db, [
    person("elsewhere", "student", { schoolIds: ["s2"], devices: [dev("ee", "email")] }),
    person("both", "guardian", { schoolIds: ["s2", "s1"], devices: [dev("be", "email")] }),
  ]);
  const { recipients } = await resolveRecipients(db, {
    recipients: { types: ["individuals"], grades: [], personIds: ["elsewhere", "both"], oneCopyPerGuardian: true },
  }, calendar);
  kv.close();
  assert.deepEqual(recipients.map((r) => r.person.id), ["both"]);
});
