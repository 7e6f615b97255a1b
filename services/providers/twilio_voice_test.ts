import assert from "node:assert/strict";
import {
  answeredAs,
  GOODBYE,
  goodbyeTwiml,
  inlineTwiml,
  messageTwiml,
  readsIn,
  REPEAT_PROMPT,
  sayVoiceFor,
} from "./twilio_voice.ts";

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>';

Deno.test("a play with a repeat: the message and the prompt inside a one-digit Gather posting to the repeat URL, then goodbye", () => {
  const twiml = messageTwiml(
    'Bus 14 is late <20 min> & "slow".',
    "https://m.example/webhooks/twilio/voice?r=R1&id=a~b&n=2",
  );
  assert.equal(
    twiml,
    `${PROLOG}<Response>` +
      '<Gather numDigits="1" action="https://m.example/webhooks/twilio/voice?r=R1&amp;id=a~b&amp;n=2" method="POST">' +
      "<Say>Bus 14 is late &lt;20 min&gt; &amp; &quot;slow&quot;.</Say>" +
      `<Say>${REPEAT_PROMPT}</Say>` +
      "</Gather>" +
      `<Say>${GOODBYE}</Say><Hangup/></Response>`,
  );
});

Deno.test("the last play, and a machine's only one: the message and goodbye, no Gather and no prompt", () => {
  const twiml = messageTwiml("School closes at noon.");
  assert.equal(twiml, `${PROLOG}<Response><Say>School closes at noon.</Say><Say>Goodbye.</Say><Hangup/></Response>`);
  assert.doesNotMatch(twiml, /Gather|Press 1/);
  assert.equal(goodbyeTwiml(), `${PROLOG}<Response><Say>Goodbye.</Say><Hangup/></Response>`);
});

Deno.test("AnsweredBy as a call result: a person, any machine or fax, or not known", () => {
  assert.equal(answeredAs("human"), "human");
  for (const m of ["machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"]) {
    assert.equal(answeredAs(m), "machine", m);
  }
  assert.equal(answeredAs("unknown"), "unknown");
  assert.equal(answeredAs(""), undefined);
  assert.equal(answeredAs(undefined), undefined);
});

Deno.test("a call's language finds its voice by tag, then without its last subtag; English is Twilio's default; Somali, Hmong and Haitian Creole have none", () => {
  assert.deepEqual([sayVoiceFor("es")?.language, sayVoiceFor("es")?.voice], ["es-MX", "Polly.Mia"]);
  assert.equal(sayVoiceFor("es-MX")?.language, "es-MX");
  assert.equal(sayVoiceFor("es-US")?.voice, "Polly.Lupe");
  assert.equal(sayVoiceFor("zh-Hant-TW")?.language, "cmn-TW");
  assert.equal(sayVoiceFor("zh")?.language, "cmn-CN");
  assert.equal(sayVoiceFor("vi")?.voice, "Google.vi-VN-Standard-A");
  assert.equal(sayVoiceFor("ar")?.language, "arb");
  assert.equal(sayVoiceFor("tl")?.language, "fil-PH");
  for (const none of ["en", "en-GB", "so", "hmn", "ht", undefined]) assert.equal(sayVoiceFor(none), undefined, none);
  assert.ok(readsIn("en-US") && readsIn("es") && readsIn("ko-KR"));
  assert.ok(!readsIn("so") && !readsIn("hmn") && !readsIn("ht"));
});

Deno.test("a play in another language: every <Say> with its language and voice, the prompts in that language", () => {
  const spanish = sayVoiceFor("es")!;
  const say = '<Say language="es-MX" voice="Polly.Mia">';
  assert.equal(
    messageTwiml("Hola & adiós", "https://m.example/v?n=2", spanish),
    `${PROLOG}<Response><Gather numDigits="1" action="https://m.example/v?n=2" method="POST">` +
      `${say}Hola &amp; adiós</Say>${say}Oprima 1 para escuchar este mensaje otra vez.</Say></Gather>` +
      `${say}Adiós.</Say><Hangup/></Response>`,
  );
  assert.equal(goodbyeTwiml(spanish), `${PROLOG}<Response>${say}Adiós.</Say><Hangup/></Response>`);
  assert.equal(inlineTwiml("Hola", spanish), `<Response>${say}Hola</Say></Response>`);
  assert.equal(inlineTwiml("Hello"), "<Response><Say>Hello</Say></Response>");
});
