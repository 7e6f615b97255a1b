/**
 * A message in more than one language, sent: each copy in its recipient's
 * language (email through a real SMTP server, texts, calls and the inbox
 * through the outbox; calls' TwiML through the Twilio mock), the default
 * to anyone whose language the message does not have, the voice's fallback
 * where Twilio has none, and the Language column of the Recipient Report
 * and its CSV.
 */
import assert from "node:assert/strict";
import { makeDue, NOW, settle, signedIn, type TestApp, testApp } from "./support/app.ts";
import { startSink } from "./support/smtp_sink.ts";
import { allDeliveries, twilioApp, untilDone } from "./support/twilio_app.ts";
import { buildProviders } from "../services/providers/index.ts";
import type { Providers } from "../services/providers/types.ts";
import type { Content, Message, Translation } from "../services/model.ts";
import { getPerson, savePerson } from "../services/store/people.ts";
import { listOutbox } from "../services/store/outbox.ts";
import { listInbox } from "../services/store/inbox.ts";
import type { Delivery } from "../services/store/deliveries.ts";

/** Kai (Spanish, as es-MX), Grace (English) and Liam (Somali): each with an email and a mobile, at Lincoln. */
const KAI = "gdn1";
const GRACE = "gdn4";
const LIAM = "gdn7";

const CONTENT: Content = {
  emailHtml: "<p>Dear {{recipient.firstName}}, school closes at noon on Friday.</p>",
  emailText: "Dear {{recipient.firstName}}, school closes at noon on Friday.",
  // GSM-7, about 100 characters: one text.
  text: "{{recipient.firstName}}: school closes at noon on Friday for teacher training. Buses leave at 12:15.",
  voice: "Hello {{recipient.firstName}}, school closes at noon on Friday.",
  inbox: "School closes at noon on Friday.",
};

const SPANISH: Translation = {
  subject: "Salida temprano el viernes",
  emailHtml: "<p>Estimado/a {{recipient.firstName}}, la escuela cierra al mediodía el viernes.</p>",
  // Left empty: made from the HTML, as the wizard does for the default.
  emailText: "",
  // "í" is outside GSM-7: UCS-2, 70 a segment, so about 120 characters take two.
  text: "{{recipient.firstName}}: la escuela cierra al mediodía del viernes por capacitación docente. " +
    "Los autobuses salen a las 12:15.",
  voice: "Hola {{recipient.firstName}}, la escuela cierra al mediodía el viernes.",
  inbox: "La escuela cierra al mediodía el viernes.",
  sourceHash: "test",
  machine: false,
};

async function setLanguages(t: TestApp, languages: Record<string, string | undefined>) {
  for (const [id, language] of Object.entries(languages)) {
    const current = (await getPerson(t.db, id))!;
    await savePerson(t.db, current, { ...current.value, language });
  }
}

/** msg-early-release to Kai, Grace and Liam only, as an Emergency (every device, no quiet hours). */
function toThree(change: Partial<Message>): Partial<Message> {
  return {
    type: "emergency",
    subject: "Early dismissal Friday",
    content: CONTENT,
    attachments: [],
    recipients: { types: ["individuals"], grades: [], personIds: [KAI, GRACE, LIAM], oneCopyPerGuardian: true },
    ...change,
  };
}

const byPerson = (ds: Delivery[], mode: Delivery["mode"]) =>
  new Map(ds.filter((d) => d.mode === mode).map((d) => [d.personId, d]));

Deno.test("each copy goes in its recipient's language: Spanish to the Spanish-speaking guardian, the default to the English one and to the Somali one, whose language was not chosen", async () => {
  const sink = await startSink();
  let providers: Providers | undefined;
  const t = await testApp({
    providers: (db, clock) => (providers = buildProviders(db, clock, { smtp: { url: sink.url, from: "m@x.example" } })),
  });
  await setLanguages(t, { [KAI]: "es-MX", [GRACE]: "en", [LIAM]: "so" });
  await makeDue(
    t.db,
    "msg-early-release",
    toThree({ modes: ["email", "text", "inbox", "voice"], languages: ["es"], translations: { es: SPANISH } }),
  );
  const run = (await t.dispatcher.startOccurrence("msg-early-release", NOW))!;
  await settle(t);
  const deliveries = await allDeliveries(t.db, run.id);
  assert.ok(deliveries.every((d) => d.state === "delivered" || d.state === "sent"), JSON.stringify(deliveries));

  // Email, through SMTP.
  const mail = (address: string) =>
    sink.messages.find((m) => !Array.isArray(m.to) && m.to?.value[0].address === address)!;
  const kai = mail("kai.clark1@mail.example");
  assert.equal(kai.subject, "Salida temprano el viernes");
  assert.match(kai.html as string, /Estimado\/a Kai, la escuela cierra al mediodía el viernes\./);
  assert.equal(kai.text?.trim(), "Estimado/a Kai, la escuela cierra al mediodía el viernes.", "made from the HTML");
  for (const [address, name] of [["grace.brown4@mail.example", "Grace"], ["liam.baker7@mail.example", "Liam"]]) {
    const m = mail(address);
    assert.equal(m.subject, "Early dismissal Friday", address);
    assert.equal(m.text?.trim(), `Dear ${name}, school closes at noon on Friday.`);
  }

  // Texts and calls, in the outbox.
  const outbox = (await listOutbox(t.db)).items;
  const sent = (kind: string, to: string) => outbox.find((e) => e.kind === kind && e.to === to)!.body;
  assert.match(sent("text", "+16125553170"), /^Kai: la escuela cierra al mediodía del viernes/);
  assert.match(sent("text", "+16125552153"), /^Grace: school closes at noon on Friday/);
  assert.match(sent("text", "+16125553857"), /^Liam: school closes at noon on Friday/);
  assert.equal(
    sent("voice", "+16125553170"),
    "Hola Kai, la escuela cierra al mediodía el viernes. Oprima 1 para escuchar este mensaje otra vez.",
  );
  assert.equal(
    sent("voice", "+16125552153"),
    "Hello Grace, school closes at noon on Friday. Press 1 to hear this message again.",
  );

  // The portal inbox.
  const [inboxKai] = await listInbox(t.db, KAI);
  assert.equal(inboxKai.entry.subject, "Salida temprano el viernes");
  assert.equal(inboxKai.entry.body, "La escuela cierra al mediodía el viernes.");
  const [inboxLiam] = await listInbox(t.db, LIAM);
  assert.equal(inboxLiam.entry.subject, "Early dismissal Friday");

  // Each delivery records its language; a language the message was not sent in is no fallback, so no note.
  for (const mode of ["email", "text", "inbox", "voice"] as const) {
    const of = byPerson(deliveries, mode);
    assert.deepEqual([KAI, GRACE, LIAM].map((p) => of.get(p)?.language), ["es", "en", "en"], mode);
    assert.ok([...of.values()].every((d) => d.languageNote === undefined));
  }
  // Texts are counted in their own language's text: Spanish needs UCS-2, so two texts where English needs one.
  const texts = byPerson(deliveries, "text");
  assert.equal(texts.get(KAI)!.segments, 2);
  assert.equal(texts.get(GRACE)!.segments, 1);

  // The Recipient Report and its CSV say which language each copy went in.
  const office = await signedIn(t, "office");
  const page = await (await office.get(`/runs/${run.id}/recipients?mode=text`)).text();
  assert.match(page, />Mode<\/th><th\s+scope="col"\s*>Language<\/th><th\s+scope="col"\s*>State<\/th>/);
  const row = (name: string) => page.split("<tr").find((r) => r.includes(`title="${name}"`))!;
  assert.match(row("Kai Clark"), /<td>Text<\/td><td><span class="clip narrow" title="Español \(Spanish\)">/);
  assert.match(row("Kai Clark"), /<dt>Sent as<\/dt><dd>2 texts<\/dd>/);
  assert.match(row("Grace Brown"), /title="English"/);
  const csv = (await (await office.get(`/runs/${run.id}/recipients.csv`)).text()).trim().split("\r\n");
  assert.match(csv[0], /,call_result,language$/, "appended last: the other columns keep their places");
  const languageOf = (d: Delivery) =>
    csv.find((l) => l.includes(`,${d.mode},`) && l.startsWith(`${run.id},${d.personId},`))!
      .split(",").at(-1);
  for (const d of deliveries) assert.equal(languageOf(d), d.personId === KAI ? "es" : "en", `${d.personId} ${d.mode}`);

  await providers!.close();
  await sink.close();
  t.close();
});

Deno.test("a call is read in its language's voice, prompts included; where Twilio has no voice (Somali) it is read in English, and says why", async () => {
  const { t, mock, close } = await twilioApp();
  await setLanguages(t, { [KAI]: "es", [GRACE]: "so", [LIAM]: undefined });
  const somali: Translation = {
    ...SPANISH,
    subject: "Fasax goor hore Jimcaha",
    voice: "Salaan {{recipient.firstName}}, dugsigu wuxuu xirmayaa duhurka Jimcaha.",
  };
  await makeDue(
    t.db,
    "msg-early-release",
    toThree({ modes: ["voice"], languages: ["es", "so"], translations: { es: SPANISH, so: somali } }),
  );
  const run = (await t.dispatcher.startOccurrence("msg-early-release", NOW))!;
  mock.keyPresses.set("+16125553170", ["1", "7"]);
  await untilDone(t, mock, run.id);
  const twiml = (to: string) => mock.sent.find((s) => s.kind === "voice" && s.to === to)!.twiml.map((r) => r.body);

  const spanish = '<Say language="es-MX" voice="Polly.Mia">';
  const [first, second, third] = twiml("+16125553170");
  assert.ok(
    first.includes(
      `${spanish}Hola Kai, la escuela cierra al mediodía el viernes.</Say>` +
        `${spanish}Oprima 1 para escuchar este mensaje otra vez.</Say></Gather>${spanish}Adiós.</Say><Hangup/>`,
    ),
    first,
  );
  assert.ok(second.includes(`${spanish}Hola Kai,`), "the repeat in Spanish too");
  assert.match(third, /<Response><Say language="es-MX" voice="Polly\.Mia">Adiós\.<\/Say><Hangup\/><\/Response>$/);

  const [grace] = twiml("+16125552153");
  assert.ok(grace.includes("<Say>Hello Grace, school closes at noon on Friday.</Say>"), grace);
  assert.doesNotMatch(grace, /language=|Salaan/);
  const [liam] = twiml("+16125553857");
  assert.ok(liam.includes("<Say>Hello Liam, school closes at noon on Friday.</Say>"));

  const calls = byPerson(await allDeliveries(t.db, run.id), "voice");
  const note = "read in English: Twilio has no Somali voice";
  assert.equal(calls.get(GRACE)!.language, "en");
  assert.equal(calls.get(GRACE)!.languageNote, note);
  assert.equal(calls.get(GRACE)!.history[0].detail, note, "the delivery's history says so from Processing on");
  assert.equal(calls.get(KAI)!.language, "es");
  assert.equal(calls.get(KAI)!.languageNote, undefined);

  const admin = await signedIn(t, "admin");
  const page = await (await admin.get(`/runs/${run.id}/recipients?mode=voice`)).text();
  const row = page.split("<tr").find((r) => r.includes('title="Grace Brown"'))!;
  assert.ok(row.includes(`title="English · ${note}"`), row);
  assert.ok(row.includes(`<dt>Language</dt><dd>English (${note})</dd>`));
  const csv = (await (await admin.get(`/runs/${run.id}/recipients.csv?mode=voice`)).text()).trim().split("\r\n");
  const cell = (id: string) => csv.find((l) => l.startsWith(`${run.id},${id},`))!.split(",").at(-1);
  assert.deepEqual([cell(KAI), cell(GRACE), cell(LIAM)], ["es", "en", "en"]);
  await close();
});

Deno.test("a language the office sets on /admin/people is the family's choice, which no import changes; saving it unchanged is none", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const before = (await getPerson(t.db, KAI))!;
  await savePerson(t.db, before, { ...before.value, language: "es", languageFromRoster: true });
  const emergency = Object.fromEntries(before.value.devices.map((d) => [`${d.id}:emergency`, "on"]));
  assert.equal((await admin.post(`/admin/people/${KAI}`, { ...emergency, language: "es" })).status, 303);
  const unchanged = (await getPerson(t.db, KAI))!.value;
  assert.deepEqual([unchanged.languageChosenAt, unchanged.languageFromRoster], [undefined, true]);
  assert.equal((await admin.post(`/admin/people/${KAI}`, { ...emergency, language: "so" })).status, 303);
  const chosen = (await getPerson(t.db, KAI))!.value;
  assert.equal(chosen.language, "so");
  assert.equal(chosen.languageChosenAt, new Date(t.clock.now()).toISOString());
  assert.equal(chosen.languageFromRoster, undefined);
  t.close();
});
