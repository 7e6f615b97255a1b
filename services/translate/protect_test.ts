import assert from "node:assert/strict";
import { protectHtml, protectText, restoreHtml, restoreText } from "./protect.ts";

Deno.test("protect: merge fields, addresses and email addresses are kept; line breaks and < > & survive", () => {
  const text =
    "Hi {{recipient.firstName}} & all,\r\nsee https://lincoln.example.org/fair?a=1&b=2. Ask office@lincoln.org <now>";
  const html = protectText(text);
  assert.equal(
    html,
    'Hi <span translate="no">{{recipient.firstName}}</span> &amp; all,<br>see ' +
      '<span translate="no">https://lincoln.example.org/fair?a=1&amp;b=2</span>. Ask ' +
      '<span translate="no">office@lincoln.org</span> &lt;now&gt;',
  );
  assert.equal(restoreText(html), text.replace("\r\n", "\n"));
});

Deno.test("protect: an address with a merge field in it keeps both; trailing punctuation stays outside", () => {
  assert.equal(
    protectText("Go to https://x.org/?n={{student.firstName}}!"),
    'Go to <span translate="no">https://x.org/?n=</span><span translate="no">{{student.firstName}}</span>!',
  );
  assert.equal(protectText("(www.x.org)"), '(<span translate="no">www.x.org</span>)');
});

Deno.test("protect: email HTML keeps its tags and attributes; only text is wrapped", () => {
  const html = '<p>Dear {{recipient.firstName}}, <a href="https://x.org/{{school.name}}">the fair</a></p>';
  assert.equal(
    protectHtml(html),
    '<p>Dear <span translate="no">{{recipient.firstName}}</span>, <a href="https://x.org/{{school.name}}">the fair</a></p>',
  );
  assert.equal(restoreHtml(protectHtml(html)), html);
});

Deno.test("restore: a kept element however the provider writes it back; markup it added is dropped from text", () => {
  assert.equal(restoreHtml("<span translate='no' class=\"x\">{{a.b}}</span >"), "{{a.b}}");
  assert.equal(restoreHtml("<span translate=no>{{a.b}}</span>"), "{{a.b}}");
  assert.equal(
    restoreText('<p>Hola&nbsp;<span translate="no">{{x}}</span></p><p>adiós&#33; &#x263A;</p>'),
    "Hola {{x}}\nadiós! ☺",
  );
  assert.equal(restoreText("a<br/>b<BR >c"), "a\nb\nc");
  assert.equal(restoreText("&unknown; &amp;lt;"), "&unknown; &lt;", "decoded once, unknown names kept");
});
