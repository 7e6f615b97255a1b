import assert from "node:assert/strict";
import { countSegments } from "./segments.ts";

Deno.test("GSM-7: 160 in one segment, 153 per segment after", () => {
  assert.equal(countSegments("").segments, 0);
  assert.deepEqual(countSegments("a".repeat(160)), {
    encoding: "GSM-7",
    characters: 160,
    units: 160,
    segments: 1,
    remaining: 0,
    nonGsm: [],
  });
  assert.equal(countSegments("a".repeat(161)).segments, 2);
  assert.equal(countSegments("a".repeat(306)).segments, 2);
  assert.equal(countSegments("a".repeat(307)).segments, 3);
  assert.equal(countSegments("a".repeat(161)).remaining, 306 - 161);
});

Deno.test("GSM-7 extension characters take two septets", () => {
  const c = countSegments("€".repeat(80));
  assert.equal(c.encoding, "GSM-7");
  assert.equal(c.units, 160);
  assert.equal(c.segments, 1);
  assert.equal(countSegments("€".repeat(81)).segments, 2);
});

Deno.test("one non-GSM character makes it UCS-2: 70, then 67 per segment", () => {
  const c = countSegments("Early release tomorrow ✅");
  assert.equal(c.encoding, "UCS-2");
  assert.deepEqual(c.nonGsm, ["✅"]);
  assert.equal(countSegments("ñ".repeat(70)).encoding, "GSM-7", "ñ is in GSM-7");
  assert.equal(countSegments("ő".repeat(70)).segments, 1);
  assert.equal(countSegments("ő".repeat(71)).segments, 2);
  assert.equal(countSegments("ő".repeat(134)).segments, 2);
  assert.equal(countSegments("ő".repeat(135)).segments, 3);
  // An emoji is two UTF-16 units.
  const emoji = countSegments("😀".repeat(35));
  assert.equal(emoji.units, 70);
  assert.equal(emoji.characters, 35);
  assert.equal(emoji.segments, 1);
});
