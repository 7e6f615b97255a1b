import assert from "node:assert/strict";
import { FakeTranslator, TranslateError } from "../../tests/support/fake_translator.ts";
import { translateContent } from "./translate_content.ts";

const source = {
  subject: "Science fair",
  emailHtml:
    '<p>Dear {{recipient.firstName}}, <b>{{student.firstName}}</b> is in the <a href="https://x.org/fair">fair</a>.</p>',
  emailText: "",
  text: "Science fair Friday for {{student.firstName}}: https://x.org/fair",
  voice: "",
  inbox: "",
};
const languages = { source: "en", target: "es" };

Deno.test("translate: every field in one call, as protected HTML; merge fields, links and formatting kept", async () => {
  const translator = new FakeTranslator();
  const { fields, problems } = await translateContent(translator, source, languages);
  assert.equal(translator.calls.length, 1);
  assert.equal(translator.calls[0].html, true);
  assert.equal(translator.calls[0].texts.length, 3, "subject, email and text; empty fields are not sent");
  assert.match(translator.calls[0].texts[2], /<span translate="no">\{\{student.firstName\}\}<\/span>/);
  assert.equal(fields.subject, "Ciencia feria");
  assert.equal(
    fields.emailHtml,
    '<p>Estimado {{recipient.firstName}}, <strong>{{student.firstName}}</strong> está en la <a href="https://x.org/fair">feria</a>.</p>',
  );
  assert.equal(fields.text, "Ciencia feria viernes para {{student.firstName}}: https://x.org/fair");
  assert.equal(fields.emailText, "");
  assert.deepEqual(problems, {});
});

Deno.test("translate: a provider that drops a merge field or a link, or merges paragraphs, is caught per field", async () => {
  const translator = new FakeTranslator({
    mangle: (html) =>
      html.replace('<span translate="no">{{student.firstName}}</span>', "el estudiante").replace(
        'href="https://x.org/fair"',
        'href="https://x.org/feria"',
      ),
  });
  const { problems } = await translateContent(translator, source, languages);
  assert.deepEqual(problems.emailHtml, [
    "lost {{student.firstName}}",
    "lost the link https://x.org/fair",
    "added the link https://x.org/feria, which the original does not have",
  ]);
  assert.deepEqual(problems.text, ["lost {{student.firstName}}"]);
  assert.equal(problems.subject, undefined);
  const merged = await translateContent(
    new FakeTranslator({ mangle: (html) => html.replaceAll("</p><p>", " ") }),
    { ...source, emailHtml: "<p>One</p><p>Two</p>" },
    languages,
  );
  assert.deepEqual(merged.problems.emailHtml, ["changed the formatting (paragraphs 2 → 1)"]);
});

Deno.test("translate: the provider's failure is the caller's to show; a short answer is a failure too", async () => {
  await assert.rejects(
    translateContent(new FakeTranslator({ fail: new TranslateError("quota exceeded", "quota") }), source, languages),
    (e) => e instanceof TranslateError && e.reason === "quota",
  );
  const short = new FakeTranslator();
  short.translate = () => Promise.resolve(["x"]);
  await assert.rejects(translateContent(short, source, languages), TranslateError);
});
