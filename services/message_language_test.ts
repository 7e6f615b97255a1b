import assert from "node:assert/strict";
import { type Message, Translation } from "./model.ts";
import { allTexts, englishName, hasContentFor, messageLanguageFor, versionFor, versionIn } from "./message_language.ts";

const translation = (fields: Partial<Translation>): Translation =>
  Translation.parse({ sourceHash: "h", machine: true, ...fields });

const message: Pick<Message, "subject" | "content" | "languages" | "translations"> = {
  subject: "Picture day",
  content: { emailHtml: "<p>Smile</p>", emailText: "Smile", text: "Smile", voice: "Smile", inbox: "Smile" },
  languages: ["es", "zh-Hant", "so"],
  translations: {
    es: translation({ subject: "Día de fotos", emailHtml: "<p>Sonríe {{recipient.firstName}}</p>", text: "Sonríe" }),
    "zh-Hant": translation({ text: "微笑" }),
    // "so" is chosen but has no translation yet: nobody gets it.
  },
};

Deno.test("a recipient's language matches one of the message's by the whole tag, else by base language, else none", () => {
  assert.equal(messageLanguageFor(message, "es"), "es");
  assert.equal(messageLanguageFor(message, "es-MX"), "es", "a regional preference finds the language");
  assert.equal(messageLanguageFor(message, "ES-us"), "es", "tags compare without case");
  assert.equal(messageLanguageFor(message, "zh-hant"), "zh-Hant");
  assert.equal(messageLanguageFor(message, "zh-Hant-TW"), "zh-Hant", "by base language when no tag is the same");
  assert.equal(messageLanguageFor(message, "so"), undefined, "chosen without a translation: the default");
  assert.equal(messageLanguageFor(message, "vi"), undefined);
  assert.equal(messageLanguageFor(message, undefined), undefined);
  assert.equal(messageLanguageFor(message, ""), undefined);
  assert.equal(messageLanguageFor({ languages: ["es-MX"], translations: { "es-MX": translation({}) } }, "es"), "es-MX");
});

Deno.test("a version: the translation's fields, the default subject where it has none, plain text made from its HTML", () => {
  const es = versionIn(message, "es");
  assert.equal(es.subject, "Día de fotos");
  assert.equal(es.content.emailText, "Sonríe {{recipient.firstName}}");
  assert.equal(es.content.voice, "", "an empty field stays empty: Processing sends that mode in the default");
  assert.equal(versionIn(message, "zh-Hant").subject, "Picture day");
  assert.deepEqual(versionIn(message, undefined), { subject: "Picture day", content: message.content });
  assert.deepEqual(versionFor(message, "en", "en"), versionIn(message, undefined), "the district's language");
  assert.deepEqual(versionFor(message, undefined, "en"), versionIn(message, undefined), "an older delivery");
  assert.equal(versionFor(message, "es", "en").subject, "Día de fotos");
  assert.ok(hasContentFor(es, "email") && hasContentFor(es, "text"));
  assert.ok(!hasContentFor(es, "voice") && !hasContentFor(es, "inbox"));
});

Deno.test("every language's texts are searched for merge fields; names in English for staff's notes", () => {
  assert.ok(allTexts(message).includes("<p>Sonríe {{recipient.firstName}}</p>"));
  assert.ok(allTexts(message).includes("Picture day"));
  assert.equal(englishName("so"), "Somali");
  assert.equal(englishName("hmn"), "Hmong");
  assert.equal(englishName("en"), "English");
  assert.equal(englishName("x-not a tag"), "x-not a tag");
});
