import assert from "node:assert/strict";
import { linksIn, translationProblems } from "./check.ts";

Deno.test("check: a kept translation has no problems", () => {
  assert.deepEqual(
    translationProblems(
      "Hi {{student.firstName}}, see https://x.org",
      "Hola {{student.firstName}}, vea https://x.org",
      {
        html: false,
      },
    ),
    [],
  );
});

Deno.test("check: a lost or an invented merge field is named", () => {
  assert.deepEqual(translationProblems("Hi {{student.firstName}}", "Hola {{estudiante.nombre}}", { html: false }), [
    "lost {{student.firstName}}",
    "added {{estudiante.nombre}}, which the original does not have",
  ]);
  assert.deepEqual(translationProblems("Hi", "Hola {{ recipient.firstName }}", { html: false }), [
    "added {{recipient.firstName}}, which the original does not have",
  ]);
});

Deno.test("check: links, in text and in HTML targets, lost or changed", () => {
  assert.deepEqual(
    linksIn('<p>See <a href="https://x.org/a?b=1&amp;c=2">here</a> or www.y.org.</p>', true),
    ["https://x.org/a?b=1&c=2", "www.y.org"],
  );
  assert.deepEqual(translationProblems("See https://x.org/fair", "Vea https://x.org/feria", { html: false }), [
    "lost the link https://x.org/fair",
    "added the link https://x.org/feria, which the original does not have",
  ]);
  assert.deepEqual(
    translationProblems('<a href="https://x.org">the fair</a>', "<a>la feria</a>", { html: true }),
    ["lost the link https://x.org"],
  );
});

Deno.test("check: the formatting of the provider's email is compared only when asked", () => {
  const source = "<p>One</p><p><strong>Two</strong></p>";
  const merged = "<p>Uno <strong>dos</strong></p>";
  assert.deepEqual(translationProblems(source, merged, { html: true, formatting: true }), [
    "changed the formatting (paragraphs 2 → 1)",
  ]);
  assert.deepEqual(translationProblems(source, merged, { html: true }), []);
  assert.deepEqual(
    translationProblems(source, "<p><strong>Dos</strong></p><p>Uno</p>", { html: true, formatting: true }),
    [],
  );
});
