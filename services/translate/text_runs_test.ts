import assert from "node:assert/strict";
import { joinHtml, splitHtml, textsOf } from "./text_runs.ts";

Deno.test("text runs: markup, comments and protected elements (nested too) are kept; text is decoded, then escaped", () => {
  const html = '<p class="x">Hi <span translate="no">{{a}} <span>inner</span> tail</span> there<br>' +
    '<!-- note --><b class="notranslate">Lincoln</b> &lt;3 &amp; more</p> 2 <i>ok</i>';
  const parts = splitHtml(html);
  assert.deepEqual(textsOf(parts), ["Hi", "there", "<3 & more", "ok"]);
  assert.equal(joinHtml(parts, textsOf(parts)), html, "untranslated, it comes back as it was");
  assert.equal(
    joinHtml(parts, ["Hola", "allí", "<3 & más", "bien"]),
    '<p class="x">Hola <span translate="no">{{a}} <span>inner</span> tail</span> allí<br>' +
      '<!-- note --><b class="notranslate">Lincoln</b> &lt;3 &amp; más</p> 2 <i>bien</i>',
  );
});

Deno.test("text runs: plain text is one run; nothing to translate is kept whole", () => {
  assert.deepEqual(textsOf(splitHtml("Snow day")), ["Snow day"]);
  assert.deepEqual(textsOf(splitHtml('<p> 3, 4 </p><span translate="no">{{x}}</span>')), []);
  assert.deepEqual(textsOf(splitHtml("")), []);
});
