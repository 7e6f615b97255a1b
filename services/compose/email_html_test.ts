import assert from "node:assert/strict";
import { htmlToText, sanitizeEmailHtml } from "./email_html.ts";

Deno.test("content: HTML is sanitized; a text part is derived", () => {
  const html = sanitizeEmailHtml(
    '<p style="x" onclick="y()">Hi <a href="javascript:alert(1)">x</a> <a href="https://e.org">ok</a></p><img src=x>',
  );
  assert.equal(html, '<p>Hi <a>x</a> <a href="https://e.org">ok</a></p>');
  assert.equal(htmlToText("<p>One &amp; two</p><p>Three<br>four</p>"), "One & two\nThree\nfour");
});

Deno.test("content: bold and italic from the editor are kept as <strong> and <em>", () => {
  assert.equal(
    sanitizeEmailHtml("<p><b>Due</b> on <i>Friday</i></p>"),
    "<p><strong>Due</strong> on <em>Friday</em></p>",
  );
});
