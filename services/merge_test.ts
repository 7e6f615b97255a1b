import assert from "node:assert/strict";
import { DISTRICT_DEFAULTS, type Person } from "./model.ts";
import { escapeHtml, MergeFieldError, mergeFieldsIn, renderMerge, unknownMergeFields } from "./merge.ts";

const p = (id: string, firstName: string, extra: Partial<Person> = {}): Person => ({
  id,
  kind: "student",
  firstName,
  lastName: "Okafor",
  schoolIds: ["s"],
  studentIds: [],
  devices: [],
  ...extra,
});
const ctx = {
  recipient: p("g", "Ngozi", { kind: "guardian" }),
  students: [p("a", "Ada", { grade: "3" }), p("b", "Obi", { grade: "5" })],
  school: { id: "s", name: "Lincoln <Elementary>" },
  district: {
    id: "d",
    name: "Maple Valley",
    timeZone: "America/Chicago",
    ...DISTRICT_DEFAULTS,
  },
};

Deno.test("merge fields are found, unknown ones named", () => {
  const text = "Dear {{recipient.firstName}}, {{ student.firstName }} and {{student.homeroom}} {{student.firstName}}";
  assert.deepEqual(mergeFieldsIn(text), ["recipient.firstName", "student.firstName", "student.homeroom"]);
  assert.deepEqual(unknownMergeFields(text), ["student.homeroom"]);
});

Deno.test("rendering for one recipient: several students joined, HTML escaped when asked", () => {
  assert.equal(
    renderMerge(
      "Dear {{recipient.firstName}}, {{student.firstName}} (grades {{student.grade}}) at {{school.name}}",
      ctx,
    ),
    "Dear Ngozi, Ada and Obi (grades 3 and 5) at Lincoln <Elementary>",
  );
  assert.equal(renderMerge("{{school.name}}", ctx, escapeHtml), "Lincoln &lt;Elementary&gt;");
  assert.equal(
    renderMerge("{{student.firstName}}", { ...ctx, students: [...ctx.students, p("c", "Eze")] }),
    "Ada, Obi and Eze",
  );
});

Deno.test("a field that cannot be filled is an error, not a blank", () => {
  assert.throws(() => renderMerge("{{student.homeroom}}", ctx), MergeFieldError);
  assert.throws(() => renderMerge("Hi {{student.firstName}}", { ...ctx, students: [] }), /student.firstName/);
});

Deno.test("names of object internals are unknown fields, never looked up on Object.prototype", () => {
  const internals = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"];
  const text = internals.map((f) => `{{${f}}}`).join(" ");
  assert.deepEqual(unknownMergeFields(text), internals);
  for (const f of internals) {
    assert.throws(() => renderMerge(`Hi {{${f}}}`, ctx), MergeFieldError, f);
  }
});
