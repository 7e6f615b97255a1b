/**
 * Calls through the official twilio client against the Twilio mock: the
 * TwiML Messenger serves for a call (the message, press 1 to repeat it, at
 * most three plays, goodbye), answering-machine detection and the recorded
 * call result, the school's caller ID, and the TwiML endpoint's signature
 * check.
 */
import assert from "node:assert/strict";
import { makeDue, NOW, settle, signedIn, testApp } from "./support/app.ts";
import { allDeliveries, runFirstJob, TWILIO_FROM, twilioApp, untilDone } from "./support/twilio_app.ts";
import { getPeople } from "../services/store/people.ts";
import { listSchools, saveSchool } from "../services/store/district.ts";
import { twilioSignature } from "../services/providers/twilio_signature.ts";
import { REPEAT_PROMPT } from "../services/providers/twilio_voice.ts";
import { listOutbox } from "../services/store/outbox.ts";
import { type Delivery, getDelivery } from "../services/store/deliveries.ts";
import { maskAddress } from "../services/report.ts";
import { getMessage } from "../services/store/messages.ts";

const VOICE = "Hello {{recipient.firstName}}, bus 14 is running 20 minutes late.";

/** msg-bus-delay (Lincoln's Kindergarten and grade 1 guardians) as a call only, its script naming each recipient. */
async function busDelayCall(t: Awaited<ReturnType<typeof twilioApp>>["t"]) {
  const { content } = (await getMessage(t.db, "msg-bus-delay"))!.value;
  await makeDue(t.db, "msg-bus-delay", { modes: ["voice"], type: "priority", content: { ...content, voice: VOICE } });
  const run = (await t.dispatcher.startOccurrence("msg-bus-delay", NOW))!;
  await runFirstJob(t);
  const calls = (await allDeliveries(t.db, run.id)).filter((d) => d.mode === "voice");
  // Distinct numbers, so that what the mock does per number is one delivery's.
  const byNumber = new Map(calls.map((d) => [d.address!, d]));
  return { run, calls: [...byNumber.values()] };
}

Deno.test("a call says its message and 'Press 1 to hear this message again'; 1 repeats it, three plays in all, then goodbye", async () => {
  const { t, mock, close } = await twilioApp();
  const { run, calls } = await busDelayCall(t);
  const [thrice, other, none] = calls;
  mock.keyPresses.set(thrice.address!, ["1", "1", "1"]);
  mock.keyPresses.set(other.address!, ["7"]);
  await untilDone(t, mock, run.id);

  const names = await getPeople(t.db, calls.map((d) => d.personId));
  const script = (d: Delivery) =>
    `<Say>Hello ${names.get(d.personId)!.firstName}, bus 14 is running 20 minutes late.</Say>`;
  const callTo = (d: Delivery) => mock.sent.find((s) => s.kind === "voice" && s.to === d.address)!;
  for (const s of mock.sent) {
    assert.equal(s.machineDetection, "DetectMessageEnd");
    assert.ok(s.twimlUrl!.startsWith(`${t.url}/webhooks/twilio/voice?`), s.twimlUrl);
    assert.ok(s.twiml.every((r) => r.status === 200), "every TwiML request is signed as Twilio signs it");
  }
  const [first, second, third] = callTo(thrice).twiml;
  assert.equal(callTo(thrice).twiml.length, 3, "three plays, however often 1 is pressed");
  assert.deepEqual(mock.keyPresses.get(thrice.address!), ["1"], "the third play offers no repeat");
  for (const play of [first, second]) {
    assert.ok(play.body.includes(script(thrice)), "the message, merged for its recipient");
    assert.match(play.body, /<Gather numDigits="1" action="[^"]+" method="POST"><Say>[^<]+<\/Say>/);
    assert.ok(play.body.includes(`<Say>${REPEAT_PROMPT}</Say></Gather><Say>Goodbye.</Say><Hangup/>`));
  }
  assert.equal(second.params.Digits, "1");
  assert.match(second.url, /&n=2$/);
  assert.match(third.url, /&n=3$/);
  assert.ok(third.body.includes(`${script(thrice)}<Say>Goodbye.</Say><Hangup/></Response>`));
  assert.doesNotMatch(third.body, /Gather|Press 1/);

  const [, pressed7] = callTo(other).twiml;
  assert.equal(pressed7.params.Digits, "7");
  assert.match(pressed7.body, /<Response><Say>Goodbye\.<\/Say><Hangup\/><\/Response>$/, "another key: goodbye");
  assert.equal(callTo(none).twiml.length, 1, "no key: the Gather times out into the goodbye");
  assert.ok(callTo(none).twiml[0].body.includes(script(none)));

  const after = (await allDeliveries(t.db, run.id)).filter((d) => d.mode === "voice");
  assert.ok(after.every((d) => d.state === "delivered" && d.callResult === "human"));
  await close();
});

/** The Recipient Report's row for one delivery (the person's name and the device's last four digits). */
function rowOf(page: string, d: Delivery): string {
  const rows = page.split("<tr").filter((r) =>
    r.includes(`title="${d.name}"`) && r.includes(maskAddress("voice", d.address))
  );
  assert.equal(rows.length, 1, `one row for ${d.name}`);
  return rows[0];
}

Deno.test("who answered (a person, a machine after its beep, busy, no answer) is recorded and shown in the Recipient Report and its CSV", async () => {
  const { t, mock, close } = await twilioApp();
  const { run, calls } = await busDelayCall(t);
  const [machine, human, busy, noAnswer] = calls;
  mock.answeredBy.set(machine.address!, "machine_end_beep");
  mock.keyPresses.set(machine.address!, ["1"]);
  mock.callOutcome.set(busy.address!, ["busy", "busy"]);
  mock.callOutcome.set(noAnswer.address!, ["no-answer", "no-answer"]);
  await untilDone(t, mock, run.id);

  const machineCall = mock.sent.find((s) => s.to === machine.address)!;
  assert.equal(machineCall.twiml.length, 1, "a machine hears the message once: no Gather to press 1 at");
  assert.equal(machineCall.twiml[0].params.AnsweredBy, "machine_end_beep");
  assert.doesNotMatch(machineCall.twiml[0].body, /Gather|Press 1/);
  assert.match(
    machineCall.twiml[0].body,
    /<Say>Hello \w+, bus 14 is running 20 minutes late\.<\/Say><Say>Goodbye\.<\/Say>/,
  );
  assert.equal(mock.sent.filter((s) => s.to === busy.address).length, 2, "busy is still redialed");

  const after = new Map((await allDeliveries(t.db, run.id)).map((d) => [d.id, d]));
  const result = (d: Delivery) => [after.get(d.id)!.state, after.get(d.id)!.callResult];
  assert.deepEqual(result(machine), ["delivered", "machine"]);
  assert.deepEqual(result(human), ["delivered", "human"]);
  assert.deepEqual(result(busy), ["failed", "busy"]);
  assert.deepEqual(result(noAnswer), ["failed", "no-answer"]);
  assert.ok(after.get(machine.id)!.history.some((h) => h.detail === "in-progress, AnsweredBy machine_end_beep"));

  const admin = await signedIn(t, "admin");
  const page = await (await admin.get(`/runs/${run.id}/recipients?mode=voice`)).text();
  assert.match(rowOf(page, machine), /delivered · Answering machine, message left after the beep/);
  assert.match(rowOf(page, machine), /<dt>Call result<\/dt><dd>Answering machine, message left after the beep<\/dd>/);
  assert.match(rowOf(page, human), /delivered · Answered by a person/);
  assert.match(rowOf(page, busy), /failed · Busy/);
  assert.match(rowOf(page, busy), /<dt>Call result<\/dt><dd>Busy<\/dd>/);
  assert.match(rowOf(page, noAnswer), /failed · No answer/);

  const csv = (await (await admin.get(`/runs/${run.id}/recipients.csv?mode=voice`)).text()).trim().split("\r\n");
  assert.match(csv[0], /,clicked_at_utc,call_result,language$/, "appended: the other columns keep their places");
  const cell = (d: Delivery) => csv.find((l) => l.includes(after.get(d.id)!.providerId!))!.split(",").at(-2);
  assert.equal(cell(machine), "machine");
  assert.equal(cell(human), "human");
  assert.equal(cell(busy), "busy");
  assert.equal(cell(noAnswer), "no-answer");
  await close();
});

Deno.test("a call comes from its school's caller ID when one is set, else from TWILIO_FROM", async () => {
  const { t, mock, close } = await twilioApp();
  const lincoln = (await listSchools(t.db)).find((s) => s.id === "lincoln")!;
  await saveSchool(t.db, { ...lincoln, callerId: "+13125550142" });
  const { run } = await busDelayCall(t);
  await untilDone(t, mock, run.id);
  const fromLincoln = mock.sent.filter((s) => s.kind === "voice");
  assert.ok(fromLincoln.length > 3);
  assert.deepEqual([...new Set(fromLincoln.map((s) => s.from))], ["+13125550142"]);

  // Roosevelt has no caller ID of its own.
  await makeDue(t.db, "msg-absence", {
    modes: ["voice"],
    recipients: { types: ["guardians"], grades: ["9"], personIds: [], oneCopyPerGuardian: true },
  });
  const other = (await t.dispatcher.startOccurrence("msg-absence", NOW))!;
  await untilDone(t, mock, other.id);
  const fromDistrict = mock.sent.filter((s) => s.kind === "voice").slice(fromLincoln.length);
  assert.ok(fromDistrict.length > 0);
  assert.deepEqual([...new Set(fromDistrict.map((s) => s.from))], [TWILIO_FROM]);
  await close();
});

Deno.test("the TwiML endpoint takes only Twilio's signature for its exact URL: anything else is 403 and records nothing", async () => {
  const { t, mock, close } = await twilioApp();
  mock.hold = true; // The calls are placed; nobody has answered yet.
  const { run } = await busDelayCall(t);
  await t.dispatcher.drain();
  const d = (await allDeliveries(t.db, run.id)).find((x) => x.mode === "voice" && x.state === "sent")!;
  const url = mock.sent.find((s) => s.sid === d.providerId)!.twimlUrl!;
  const params = {
    AccountSid: mock.accountSid,
    CallSid: d.providerId!,
    CallStatus: "in-progress",
    AnsweredBy: "machine_end_beep",
  };
  const post = (to: string, signature: string | null, body: Record<string, string> = params) =>
    fetch(to, {
      method: "POST",
      headers: signature === null ? {} : { "X-Twilio-Signature": signature },
      body: new URLSearchParams(body),
    });
  const refused = [
    await post(url, twilioSignature("not-the-auth-token-000", url, params)),
    await post(url, null),
    await post(url, twilioSignature(mock.authToken, `${url}&n=2`, params), params),
    await post(`${url}&n=2`, twilioSignature(mock.authToken, url, params)),
    await post(url, twilioSignature(mock.authToken, url, params), { ...params, AnsweredBy: "human" }),
  ];
  for (const res of refused) {
    assert.equal(res.status, 403);
    assert.doesNotMatch(await res.text(), /Say/, "no script for a forged request");
  }
  const untouched = (await getDelivery(t.db, run.id, "voice", d.id))!.value;
  assert.equal(untouched.callResult, undefined);
  assert.deepEqual(untouched.history, d.history, "nothing recorded");

  const good = await post(url, twilioSignature(mock.authToken, url, params));
  assert.equal(good.status, 200);
  assert.equal(good.headers.get("Content-Type"), "text/xml");
  assert.match(await good.text(), /<Say>Hello \w+, bus 14 is running 20 minutes late\.<\/Say><Say>Goodbye\.<\/Say>/);
  assert.equal((await getDelivery(t.db, run.id, "voice", d.id))!.value.callResult, "machine");

  const signedPost = (to: string) => post(to, twilioSignature(mock.authToken, to, params));
  assert.equal((await signedPost(`${url}&n=4`)).status, 400, "no fourth play");
  assert.equal((await signedPost(`${t.url}/webhooks/twilio/voice?d=demo&r=bad%20run&id=x`)).status, 400);
  const unknown = await signedPost(`${t.url}/webhooks/twilio/voice?d=demo&r=RUNNOTHERE&id=x`);
  assert.match(await unknown.text(), /<Response><Hangup\/><\/Response>$/, "an unknown delivery: nothing is said");
  await close();
});

Deno.test("the outbox (no Twilio) records a call's script with its prompt to repeat", async () => {
  const t = await testApp();
  await makeDue(t.db, "msg-bus-delay", { modes: ["voice"], type: "priority" });
  await t.dispatcher.startOccurrence("msg-bus-delay", NOW);
  await settle(t);
  const calls = (await listOutbox(t.db)).items.filter((e) => e.kind === "voice");
  assert.ok(calls.length > 0);
  assert.ok(
    calls.every((c) => c.body.startsWith("This is Maple Valley School District.") && c.body.endsWith(REPEAT_PROMPT)),
  );
  t.close();
});
