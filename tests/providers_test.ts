/**
 * Dispatch through real components on loopback: a real SMTP server, and a
 * Twilio-compatible mock that posts signed status callbacks to the app.
 */
import assert from "node:assert/strict";
import { makeDue, NOW, settle, type TestApp, testApp } from "./support/app.ts";
import { getPausedUntil } from "../services/store/allowance.ts";
import { startSink } from "./support/smtp_sink.ts";
import { allDeliveries, runFirstJob, twilioApp, untilDone } from "./support/twilio_app.ts";
import { buildProviders } from "../services/providers/index.ts";
import { getRun } from "../services/store/runs.ts";
import { runCounts } from "../services/store/deliveries.ts";
import { getPerson } from "../services/store/people.ts";
import type { Db } from "../services/store/kv.ts";
import { twilioSignature } from "../services/providers/twilio_signature.ts";
import type { Providers } from "../services/providers/types.ts";
import type { Clock } from "../services/time.ts";

Deno.test("email through a real SMTP server: exact recipients, merged bodies, attachments; a 550 is a recorded failure", async () => {
  const sink = await startSink();
  const { t: t2, providers } = await withProviders((db, clock) =>
    buildProviders(db, clock, { smtp: { url: sink.url, from: "Lincoln <office@lincoln.example>" } })
  );
  await makeDue(t2.db, "msg-field-trip", {
    modes: ["email"],
    content: {
      emailHtml: "<p>Dear {{recipient.firstName}}, {{student.firstName}}'s slip is due.</p>",
      emailText: "Dear {{recipient.firstName}}, {{student.firstName}}'s slip is due.",
      text: "",
      voice: "",
      inbox: "",
    },
  });
  // Learn one guardian address to refuse before anything is sent.
  const run = (await t2.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  await settle(t2);
  const deliveries = (await allDeliveries(t2.db, run.id)).filter((d) => d.mode === "email");
  assert.ok(deliveries.length > 5);
  const received = sink.messages.map((m) => (m.to && !Array.isArray(m.to) ? m.to.value[0].address : ""));
  assert.deepEqual(
    received.sort(),
    deliveries.map((d) => d.address!).sort(),
    "exactly the planned recipients, once each",
  );
  const sample = sink.messages[0];
  assert.equal(sample.subject, "Field trip permission slips due");
  assert.match(sample.text ?? "", /^Dear \w+, \w+('s| and \w+'s) slip is due\./);
  assert.equal(sample.attachments.length, 1);
  assert.equal(sample.attachments[0].filename, "field-trip-permission-slips-due.pdf");
  assert.match(new TextDecoder().decode(sample.attachments[0].content), /^%PDF-1\.1/);
  assert.match(sample.messageId ?? "", new RegExp(`^<${run.id}\\.`));
  const finished = (await getRun(t2.db, run.id))!.value;
  assert.equal(finished.status, "completed");
  assert.equal(finished.counts.email!.sent, deliveries.length);
  await providers.close();
  await sink.close();
  t2.close();
});

Deno.test("SMTP: a refused address fails with the server's reply; the server down then back: the run completes", async () => {
  const sink = await startSink();
  const port = sink.port;
  const { t: t2, providers } = await withProviders((db, clock) =>
    buildProviders(db, clock, { smtp: { url: sink.url, from: "office@lincoln.example" } })
  );
  await makeDue(t2.db, "msg-staff-meeting", { modes: ["email"] });
  const staff = (await getPerson(t2.db, "stf-lincoln-1"))!.value;
  sink.reject.add(staff.devices.find((d) => d.kind === "email")!.address);
  await sink.close(); // Down before the first message.
  const run = (await t2.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await t2.dispatcher.drain();
  const waiting = await allDeliveries(t2.db, run.id);
  assert.ok(waiting.every((d) => d.state === "pending" && d.attempts === 1 && d.notBefore! > t2.clock.now()));
  assert.equal((await getRun(t2.db, run.id))!.value.status, "sending", "still In Progress");
  const back = await startSink(port);
  back.reject.add(staff.devices.find((d) => d.kind === "email")!.address);
  await settle(t2);
  const done = await allDeliveries(t2.db, run.id);
  const refused = done.find((d) => d.personId === "stf-lincoln-1")!;
  assert.equal(refused.state, "failed");
  assert.equal(refused.errorCode, "550");
  assert.match(refused.error!, /No such user/);
  assert.equal(done.filter((d) => d.state === "sent").length, done.length - 1);
  assert.equal(back.messages.length, done.length - 1);
  assert.equal((await getRun(t2.db, run.id))!.value.status, "completed");
  await providers.close();
  await back.close();
  t2.close();
});

/** A test app whose providers are built on its own KV (they pace through it). */
async function withProviders(
  build: (db: Db, clock: Clock) => Providers,
): Promise<{ t: TestApp; providers: Providers }> {
  let providers: Providers | undefined;
  const t = await testApp({ providers: (db, clock) => (providers = build(db, clock)) });
  return { t, providers: providers! };
}

Deno.test("texts and calls through a Twilio-compatible API: signed callbacks complete the run", async () => {
  const { t, mock, close } = await twilioApp();
  await makeDue(t.db, "msg-bus-delay", { modes: ["text", "voice"], type: "priority" });
  const run = (await t.dispatcher.startOccurrence("msg-bus-delay", NOW))!;
  const done = await untilDone(t, mock, run.id);
  assert.equal(done.status, "completed");
  const deliveries = await allDeliveries(t.db, run.id);
  const texts = deliveries.filter((d) => d.mode === "text");
  assert.ok(texts.length > 5);
  assert.ok(texts.every((d) => d.state === "delivered" && d.providerId!.startsWith("SM")));
  assert.deepEqual(
    mock.sent.filter((s) => s.kind === "text").map((s) => s.to).sort(),
    texts.map((d) => d.address).sort(),
  );
  const calls = mock.sent.filter((s) => s.kind === "voice");
  assert.match(calls[0].twiml[0].body, /<Say>This is Maple Valley School District\. .*<\/Say>/);
  assert.equal(done.counts.voice!.delivered, calls.length);
  await close();
});

/** A text handed to Twilio whose status callbacks are held: the delivery, and the callback path Twilio would post to. */
async function textAwaitingCallback() {
  const { t, mock, close } = await twilioApp();
  mock.hold = true;
  await makeDue(t.db, "msg-bus-delay", { modes: ["text"], type: "priority" });
  const run = (await t.dispatcher.startOccurrence("msg-bus-delay", NOW))!;
  await t.dispatcher.drain();
  const [d] = (await allDeliveries(t.db, run.id)).filter((x) => x.state === "sent");
  const path = `/webhooks/twilio/status?d=demo&r=${run.id}&m=text&id=${encodeURIComponent(d.id)}`;
  return { t, mock, close, run, d, path };
}

Deno.test("status callbacks: a bad signature is 403 and changes nothing; a repeat changes nothing", async () => {
  const { t, mock, close, run, d, path } = await textAwaitingCallback();
  const params = { MessageSid: d.providerId!, MessageStatus: "delivered", AccountSid: mock.accountSid };
  const post = (signature: string, body: Record<string, string> = params) =>
    fetch(`${t.url}${path}`, {
      method: "POST",
      headers: { "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body),
    });
  const forged = await post(twilioSignature("wrong-token-000000000", `${t.url}${path}`, params));
  assert.equal(forged.status, 403);
  await forged.body?.cancel();
  const unsigned = await fetch(`${t.url}${path}`, { method: "POST", body: new URLSearchParams(params) });
  assert.equal(unsigned.status, 403);
  await unsigned.body?.cancel();
  assert.equal((await allDeliveries(t.db, run.id)).find((x) => x.id === d.id)!.state, "sent", "nothing changed");
  const good = await post(twilioSignature(mock.authToken, `${t.url}${path}`, params));
  assert.equal(await good.text(), "applied");
  const again = await post(twilioSignature(mock.authToken, `${t.url}${path}`, params));
  assert.equal(await again.text(), "ignored");
  const lateParams = { ...params, MessageStatus: "sent" };
  const late = await post(twilioSignature(mock.authToken, `${t.url}${path}`, lateParams), lateParams);
  assert.equal(await late.text(), "ignored", "a late 'sent' does not undo 'delivered'");
  assert.equal((await allDeliveries(t.db, run.id)).find((x) => x.id === d.id)!.state, "delivered");
  await mock.release();
  await untilDone(t, mock, run.id);
  await close();
});

Deno.test("Twilio errors: 21610 opts the number out, 21211 fails for good, 429 and 500 are retried; a 429 pauses the sender and loses nothing", async () => {
  const { t, mock, close } = await twilioApp();
  await makeDue(t.db, "msg-bus-delay", { modes: ["text"], type: "priority" });
  const run = (await t.dispatcher.startOccurrence("msg-bus-delay", NOW))!;
  // Plan first, then choose two real numbers from the plan.
  await runFirstJob(t);
  const planned = (await allDeliveries(t.db, run.id)).filter((d) => d.mode === "text");
  const [stop, invalid] = planned;
  mock.refuse.set(stop.address!, 21610);
  mock.refuse.set(invalid.address!, 21211);
  mock.failNext(3, 429);
  const done = await untilDone(t, mock, run.id);
  assert.equal(done.status, "completed");
  const after = await allDeliveries(t.db, run.id);
  const s = after.find((d) => d.id === stop.id)!;
  assert.equal(s.state, "failed");
  assert.equal(s.errorCode, "21610");
  const person = (await getPerson(t.db, stop.personId))!.value;
  assert.ok(person.devices.find((d) => d.address === stop.address)!.textOptOutAt, "the number is opted out of texts");
  const bad = after.find((d) => d.id === invalid.id)!;
  assert.equal(bad.state, "failed");
  assert.equal(bad.errorCode, "21211");
  assert.equal(bad.history.filter((h) => h.detail?.includes("Invalid")).length, 1, "21211 is not retried");
  assert.ok(after.some((d) => d.attempts > 1 && d.state === "delivered"), "429s were retried");
  const failedForGood = new Set([stop.id, invalid.id]);
  assert.ok(after.filter((d) => !failedForGood.has(d.id)).every((d) => d.state === "delivered"), "nothing lost");
  assert.ok(
    await getPausedUntil(t.db, "text"),
    "a 429 paused the whole text sender, every instance reads the pause from KV",
  );
  await close();
});

Deno.test("voice: busy is redialed and the run stays In Progress until the redial is done", async () => {
  const { t, mock, close } = await twilioApp();
  await makeDue(t.db, "msg-bus-delay", { modes: ["voice"], type: "priority" });
  const run = (await t.dispatcher.startOccurrence("msg-bus-delay", NOW))!;
  await runFirstJob(t);
  const [first, second] = (await allDeliveries(t.db, run.id)).filter((d) => d.mode === "voice");
  mock.callOutcome.set(first.address!, ["busy"]);
  mock.callOutcome.set(second.address!, ["no-answer", "no-answer"]);
  await t.dispatcher.drain();
  await mock.settled();
  const counts = await runCounts(t.db, run.id);
  assert.ok(counts.voice!.redial! >= 1, JSON.stringify(counts));
  assert.equal((await getRun(t.db, run.id))!.value.status, "sending", "In Progress while redials are pending");
  const done = await untilDone(t, mock, run.id);
  const after = await allDeliveries(t.db, run.id);
  const f = after.find((d) => d.id === first.id)!;
  assert.equal(f.state, "delivered");
  assert.equal(f.attempts, 2);
  const s = after.find((d) => d.id === second.id)!;
  assert.equal(s.state, "failed", "two calls in all: no third");
  assert.match(s.history.at(-1)!.detail!, /no more redials/);
  assert.equal(done.status, "completed");
  await close();
});

Deno.test("a signed callback whose status or error code is named like an object internal changes nothing odd", async () => {
  const { t, mock, close, run, d, path } = await textAwaitingCallback();
  const post = async (params: Record<string, string>) => {
    const res = await fetch(`${t.url}${path}`, {
      method: "POST",
      headers: {
        "X-Twilio-Signature": twilioSignature(mock.authToken, `${t.url}${path}`, params),
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(params),
    });
    return `${res.status} ${await res.text()}`;
  };
  const state = async () => (await allDeliveries(t.db, run.id)).find((x) => x.id === d.id)!;
  assert.equal(await post({ MessageSid: d.providerId!, MessageStatus: "constructor" }), "200 ignored");
  assert.equal((await state()).state, "sent");
  assert.equal(
    await post({ MessageSid: d.providerId!, MessageStatus: "failed", ErrorCode: "toString" }),
    "200 applied",
  );
  const failed = await state();
  assert.equal(failed.state, "failed");
  assert.equal(failed.error, undefined, "no meaning is made up for an unknown code");
  assert.match(failed.history.at(-1)!.detail!, /toString: see Twilio's error list/);
  await close();
});

Deno.test("inbound STOP and START texts opt a number out and back in; unsigned is 403", async () => {
  const { t, mock, close } = await twilioApp();
  const guardian = (await getPerson(t.db, "gdn1"))!.value;
  const phone = guardian.devices.find((d) => d.kind === "phone")!.address;
  const send = (body: string, token = mock.authToken) => {
    const params = { From: phone, To: "+16125550000", Body: body, AccountSid: mock.accountSid };
    return fetch(`${t.url}/webhooks/twilio/sms`, {
      method: "POST",
      headers: { "X-Twilio-Signature": twilioSignature(token, `${t.url}/webhooks/twilio/sms`, params) },
      body: new URLSearchParams(params),
    });
  };
  const forged = await send("STOP", "not-the-token-0000000");
  assert.equal(forged.status, 403);
  await forged.body?.cancel();
  const stop = await send(" stop ");
  assert.match(await stop.text(), /<Response><\/Response>/);
  const opted = (await getPerson(t.db, "gdn1"))!.value.devices.find((d) => d.address === phone)!;
  assert.ok(opted.textOptOutAt);
  await (await send("START")).body?.cancel();
  assert.equal(
    (await getPerson(t.db, "gdn1"))!.value.devices.find((d) => d.address === phone)!.textOptOutAt,
    undefined,
  );
  await close();
});

Deno.test("Cancel Message mid-send: queued texts are canceled at the provider; the record says who got it", async () => {
  const { t, mock, close } = await twilioApp();
  mock.hold = true; // Twilio has the texts queued and says nothing yet.
  await makeDue(t.db, "msg-bus-delay", { modes: ["text"], type: "priority" });
  const run = (await t.dispatcher.startOccurrence("msg-bus-delay", NOW))!;
  await t.dispatcher.drain();
  const sent = (await allDeliveries(t.db, run.id)).filter((d) => d.state === "sent");
  assert.ok(sent.length > 3);
  // One text reaches its recipient before the cancel.
  const first = mock.sent[0];
  first.status = "delivered";
  await t.dispatcher.applyStatus(
    { runId: run.id, mode: "text", id: sent.find((d) => d.providerId === first.sid)!.id },
    first.sid,
    "delivered",
  );
  await t.dispatcher.requestCancel(run.id, "Marcus Lee");
  assert.equal((await getRun(t.db, run.id))!.value.status, "canceling");
  const done = await untilDone(t, mock, run.id);
  assert.equal(done.status, "canceled");
  assert.equal(done.counts.text!.delivered, 1);
  assert.equal(done.counts.text!.canceled, sent.length - 1);
  assert.equal(mock.sent.filter((s) => s.status === "canceled").length, sent.length - 1);
  await mock.release();
  await close();
});
