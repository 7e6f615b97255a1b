import assert from "node:assert/strict";
import { defaultLanguage, isListedLanguage, messageLanguageOf, staffLanguageName } from "./recipient_language.ts";

Deno.test("recipient language: a preference reads as the message language it gets", () => {
  assert.equal(messageLanguageOf("es-MX"), "es");
  assert.equal(messageLanguageOf("ES"), "es");
  assert.equal(messageLanguageOf("zh-hant-TW"), "zh-Hant");
  assert.equal(messageLanguageOf("hmn"), "hmn");
  assert.equal(messageLanguageOf(""), null);
  assert.equal(messageLanguageOf("<script>"), null);
  assert.equal(messageLanguageOf(undefined), null);
  assert.equal(defaultLanguage({ language: "en-US" }), "en");
});

Deno.test("recipient language: names for staff, and which languages Messenger lists", () => {
  assert.equal(staffLanguageName("es"), "Spanish");
  assert.equal(staffLanguageName("hmn"), "Hmong");
  assert.equal(staffLanguageName("tl"), "Tagalog");
  assert.equal(staffLanguageName("de"), "de");
  assert.equal(isListedLanguage("so"), true);
  assert.equal(isListedLanguage("es-MX"), true);
  assert.equal(isListedLanguage("de"), false);
});
