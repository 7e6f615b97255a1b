import assert from "node:assert/strict";
import { type Message, Translation } from "../model.ts";
import { copyLanguages } from "./language.ts";

const t = (fields: Partial<Translation>): Translation =>
  Translation.parse({ sourceHash: "h", machine: false, ...fields });

const message = {
  subject: "Snow day",
  content: { emailHtml: "<p>Closed</p>", emailText: "Closed", text: "Closed", voice: "Closed", inbox: "Closed" },
  languages: ["es", "so", "vi"],
  translations: {
    es: t({ emailHtml: "<p>Cerrado</p>", text: "Cerrado", voice: "Cerrado", inbox: "Cerrado" }),
    so: t({ text: "Xiran", voice: "Xiran" }),
    vi: t({ text: "Đóng cửa", voice: "Đóng cửa" }),
  },
} as unknown as Message;

Deno.test("a copy's language: the recipient's where the message has it for the mode and, for a call, Twilio reads it", () => {
  const languageOf = copyLanguages(message, "en");
  assert.deepEqual(languageOf("email", "es-MX"), { language: "es" });
  assert.deepEqual(languageOf("voice", "es"), { language: "es" });
  assert.deepEqual(languageOf("text", "so"), { language: "so" });
  assert.deepEqual(languageOf("voice", "vi"), { language: "vi" });
  assert.deepEqual(languageOf("voice", "so"), {
    language: "en",
    note: "read in English: Twilio has no Somali voice",
  });
  assert.deepEqual(languageOf("email", "so"), {
    language: "en",
    note: "sent in English: the Somali version has no email",
  });
  assert.deepEqual(
    languageOf("text", "hmn"),
    { language: "en" },
    "a language the message lacks: the default, as chosen",
  );
  assert.deepEqual(languageOf("text", undefined), { language: "en" });
  assert.equal(languageOf("voice", "so"), languageOf("voice", "so"), "remembered per mode and language");
});
