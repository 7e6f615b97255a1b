import assert from "node:assert/strict";
import { checkContent } from "./content_step.ts";
import { ContentForm, RecipientsForm } from "./forms.ts";

Deno.test("content: student merge fields need students", () => {
  const staffOnly = RecipientsForm.parse({ types: "staff" });
  const errors = checkContent(ContentForm.parse({ subject: "S", text: "Hi {{student.firstName}}" }), staffOnly);
  assert.match(errors.text, /student field, but the recipients are staff/);
  assert.deepEqual(
    checkContent(ContentForm.parse({ subject: "S", text: "Hi {{recipient.firstName}}" }), staffOnly),
    {},
  );
  assert.match(checkContent(ContentForm.parse({ subject: "S" }), staffOnly).form, /at least one delivery mode/);
});
