/**
 * Bad contacts made by dispatch itself, through the providers' stand-ins on
 * loopback: a real SMTP server refusing an address, the Twilio-compatible
 * mock refusing numbers (21211, 21614, 21610) and its signed callbacks
 * (30003, twice), the Mailgun-compatible mock bouncing an address, and a
 * STOP texted in. Each lands in the index the report reads.
 */
import { freePort } from "./support/child.ts";
import assert from "node:assert/strict";
import { makeDue, NOW, settle, type TestApp, testApp } from "./support/app.ts";
import { startSink } from "./support/smtp_sink.ts";
import { startTwilioMock, type TwilioMock } from "./support/twilio_mock.ts";
import { startMailgunMock } from "./support/mailgun_mock.ts";
import { buildProviders } from "../services/providers/index.ts";
import type { Providers } from "../services/providers/types.ts";
import { twilioSignature } from "../services/providers/twilio_signature.ts";
import { deliveriesOf, type Delivery } from "../services/store/deliveries.ts";
import { getRun } from "../services/store/runs.ts";
import { dueJobIds, getJob } from "../services/store/jobs.ts";
import { getPerson, personIdsByAddress } from "../services/store/people.ts";
import { type BadContact, getBadContact } from "../services/store/bad_contacts.ts";
import { contactsPage, ContactsQuery, contactsScope } from "../services/bad_contacts.ts";
import { getUserByLogin } from "../services/store/users.ts";
import type { Db } from "../services/store/kv.ts";
import type { Mode } from "../services/model.ts";

interface Served {
  t: TestApp;
  url: string;
  providers: Providers;
  close(): Promise<void>;
}

/** The app served on loopback (providers call it back there), with the providers `build` makes. */
async function served(
  build: (db: Db, clock: TestApp["clock"], url: string) => Providers,
  opts: { twilioAuthToken?: string; mailgunSigningKey?: string } = {},
): Promise<Served> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  let providers: Providers | undefined;
  const t = await testApp({ providers: (db, clock) => (providers = build(db, clock, url)), publicUrl: url, ...opts });
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, t.app.fetch);
  return {
    t,
    url,
    providers: providers!,
    close: async () => {
      await providers!.close();
      await server.shutdown();
      t.close();
    },
  };
}

const all = async (db: Db, runId: string, mode?: Mode): Promise<Delivery[]> =>
  (await Array.fromAsync(deliveriesOf(db, runId, mode))).map((d) => d.value);

/** Dispatch and the provider's callbacks in turn, the clock moved to each next job, until the run ends. */
async function untilDone(t: TestApp, settled: () => Promise<void>, runId: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await t.dispatcher.drain();
    await settled();
    const status = (await getRun(t.db, runId))!.value.status;
    if (status === "completed" || status === "canceled" || status === "failed") return;
    const [id] = await dueJobIds(t.db, Number.MAX_SAFE_INTEGER, 1);
    const job = id ? await getJob(t.db, id) : null;
    t.clock.at = Math.max(t.clock.at + 1000, job?.value.leaseUntil ?? job?.value.dueAt ?? 0);
  }
  throw new Error("the run did not finish");
}

const contact = (t: TestApp, d: Delivery): Promise<BadContact | null> =>
  getBadContact(t.db, d.personId, d.mode === "email" ? "email" : "phone", d.address!, t.clock.at);

/** The person ids the administrator's report lists now, with these filters. */
async function reported(t: TestApp, query: Partial<ContactsQuery> = {}): Promise<string[]> {
  const scope = (await contactsScope(t.db, (await getUserByLogin(t.db, "admin"))!.value))!;
  const page = await contactsPage(t.db, scope, ContactsQuery.parse(query), t.clock.at, 500);
  return page.items.map((r) => r.contact.personId);
}

function twilioOn(mock: TwilioMock) {
  return (db: Db, clock: TestApp["clock"]) =>
    buildProviders(db, clock, {
      twilio: {
        accountSid: mock.accountSid,
        authToken: mock.authToken,
        from: "+16125550000",
        apiBase: mock.url,
        cps: 100,
      },
    });
}

Deno.test("SMTP: an address the server refuses with 550 is a bad contact, in the report at once", async () => {
  const sink = await startSink();
  const s = await served((db, clock) =>
    buildProviders(db, clock, { smtp: { url: sink.url, from: "office@lincoln.example" } })
  );
  const { t } = s;
  await makeDue(t.db, "msg-staff-meeting", { modes: ["email"] });
  const staff = (await getPerson(t.db, "stf-lincoln-2"))!.value;
  const address = staff.devices.find((d) => d.kind === "email")!.address;
  sink.reject.add(address);
  const run = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await settle(t);
  const refused = (await all(t.db, run.id, "email")).find((d) => d.address === address)!;
  assert.equal(refused.state, "failed");
  const bad = (await contact(t, refused))!;
  assert.equal(bad.failures.length, 1);
  assert.deepEqual(bad.last, {
    at: refused.updatedAt,
    problem: "no_such_address",
    mode: "email",
    code: "550",
    words: "the mail server says the address does not exist",
    runId: run.id,
  });
  assert.deepEqual(await reported(t, { mode: "email", school: "lincoln" }), ["stf-lincoln-2", "gdn4"]);
  const delivered = (await all(t.db, run.id, "email")).filter((d) => d.state !== "failed");
  for (const d of delivered.slice(0, 3)) assert.equal(await contact(t, d), null, "a delivered email is no bad contact");
  await s.close();
  await sink.close();
});

Deno.test("Twilio refusals: 21211 an invalid number, 21614 a landline, 21610 a STOP; a 429 retried is nothing", async () => {
  const mock = startTwilioMock();
  const s = await served(twilioOn(mock), { twilioAuthToken: mock.authToken });
  const { t } = s;
  await makeDue(t.db, "msg-bus-delay", { modes: ["text"], type: "priority" });
  const run = (await t.dispatcher.startOccurrence("msg-bus-delay", NOW))!;
  await t.dispatcher.runJob((await dueJobIds(t.db, Number.MAX_SAFE_INTEGER, 1))[0]);
  const [invalid, landline, stop, ...rest] = await all(t.db, run.id, "text");
  mock.refuse.set(invalid.address!, 21211);
  mock.refuse.set(landline.address!, 21614);
  mock.refuse.set(stop.address!, 21610);
  mock.failNext(2, 429);
  await untilDone(t, () => mock.settled(), run.id);
  const problems = await Promise.all([invalid, landline, stop].map(async (d) => (await contact(t, d))?.last));
  assert.deepEqual(problems.map((p) => [p?.problem, p?.code, p?.words]), [
    ["invalid_number", "21211", "not a valid phone number"],
    ["landline", "21614", "a landline: it cannot take texts"],
    ["opted_out", "21610", "recipient replied STOP"],
  ]);
  for (const d of rest) {
    const seeded = await contact(t, d); // The demo's own bad contacts failed before NOW.
    assert.ok(!seeded || seeded.failures.every((f) => f.at < NOW), `${d.id}: delivered, after a 429 or not`);
  }
  assert.deepEqual(await reported(t, { problem: "landline", school: "lincoln" }), [landline.personId, "gdn2"]);
  await mock.close();
  await s.close();
});

Deno.test("Twilio's later word: undelivered 30003 once is not on the report, twice within 30 days it is", async () => {
  const mock = startTwilioMock();
  const s = await served(twilioOn(mock), { twilioAuthToken: mock.authToken });
  const { t, url } = s;
  /** Sends the text to everyone, Twilio's callbacks held; the one to `address` then comes back undelivered, 30003. */
  const unreachableOnce = async (pick?: (d: Delivery) => boolean): Promise<Delivery> => {
    mock.hold = true;
    await makeDue(t.db, "msg-bus-delay", { modes: ["text"], type: "priority" }, t.clock.at);
    const run = (await t.dispatcher.startOccurrence("msg-bus-delay", t.clock.at))!;
    await t.dispatcher.drain();
    const texts = await all(t.db, run.id, "text");
    const d = texts.find(pick ?? (() => true))!;
    assert.equal(d.state, "sent");
    const path = `/webhooks/twilio/status?d=demo&r=${run.id}&m=text&id=${encodeURIComponent(d.id)}`;
    const params = { MessageSid: d.providerId!, MessageStatus: "undelivered", ErrorCode: "30003" };
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "X-Twilio-Signature": twilioSignature(mock.authToken, `${url}${path}`, params) },
      body: new URLSearchParams(params),
    });
    assert.equal(await res.text(), "applied");
    await mock.release();
    await untilDone(t, () => mock.settled(), run.id);
    return (await all(t.db, run.id, "text")).find((x) => x.id === d.id)!;
  };
  const first = await unreachableOnce();
  assert.equal(first.state, "failed");
  assert.equal((await contact(t, first))!.failures.length, 1);
  assert.ok(!(await reported(t)).includes(first.personId), "once: a phone switched off for the day");
  t.clock.at += 3 * 86_400_000;
  const second = await unreachableOnce((d) => d.address === first.address && d.personId === first.personId);
  const bad = (await contact(t, second))!;
  assert.deepEqual(bad.failures.map((f) => f.at), [first.updatedAt, second.updatedAt]);
  assert.equal(bad.last.words, "phone unreachable");
  assert.deepEqual(await reported(t, { problem: "unreachable", school: "lincoln" }), [first.personId]);
  // 30 days after the first, one failure is left: off the report again.
  t.clock.at = first.updatedAt + 30 * 86_400_000 + 1;
  assert.ok(!(await reported(t)).includes(first.personId));
  await mock.close();
  await s.close();
});

Deno.test("Mailgun: a permanent bounce is a bad contact; a complaint or a delivered email is not", async () => {
  let url = "";
  const mock = startMailgunMock({ now: () => NOW });
  const s = await served((db, clock, base) => {
    url = base;
    return buildProviders(db, clock, {
      mailgun: { apiKey: mock.apiKey, domain: mock.domain, apiBase: mock.url, from: "office@lincoln.example" },
    });
  }, { mailgunSigningKey: mock.signingKey });
  mock.webhookUrl = `${url}/webhooks/mailgun`;
  const { t } = s;
  await makeDue(t.db, "msg-staff-meeting", { modes: ["email"] });
  const emailOf = async (id: string) =>
    (await getPerson(t.db, id))!.value.devices.find((d) => d.kind === "email")!.address;
  const bounced = await emailOf("stf-lincoln-3");
  const complained = await emailOf("stf-lincoln-4");
  mock.bounce.add(bounced);
  mock.complain.add(complained);
  const run = (await t.dispatcher.startOccurrence("msg-staff-meeting", NOW))!;
  await untilDone(t, () => mock.settled(), run.id);
  const emails = await all(t.db, run.id, "email");
  const b = emails.find((d) => d.address === bounced)!;
  assert.equal(b.state, "failed");
  const bad = (await contact(t, b))!;
  assert.equal(bad.last.problem, "no_such_address");
  assert.equal(bad.last.code, "550");
  const c = emails.find((d) => d.address === complained)!;
  assert.equal(c.state, "failed", "a complaint fails the email…");
  assert.equal(await contact(t, c), null, "…but the address works: no bad contact");
  assert.equal(await contact(t, emails.find((d) => d.state === "delivered")!), null);
  assert.ok((await reported(t, { mode: "email" })).includes("stf-lincoln-3"));
  await mock.close();
  await s.close();
});

Deno.test("a STOP texted in: every person with the number, opted out; their START moves them to Fixed", async () => {
  const mock = startTwilioMock();
  const s = await served(twilioOn(mock), { twilioAuthToken: mock.authToken });
  const { t, url } = s;
  const phone = (await getPerson(t.db, "gdn1"))!.value.devices.find((d) => d.kind === "phone")!.address;
  const text = async (body: string) => {
    const params = { From: phone, To: "+16125550000", Body: body, AccountSid: mock.accountSid };
    const res = await fetch(`${url}/webhooks/twilio/sms`, {
      method: "POST",
      headers: { "X-Twilio-Signature": twilioSignature(mock.authToken, `${url}/webhooks/twilio/sms`, params) },
      body: new URLSearchParams(params),
    });
    await res.body?.cancel();
    assert.equal(res.status, 200);
  };
  await text("STOP");
  const people = await personIdsByAddress(t.db, "phone", phone);
  assert.ok(people.includes("gdn1"));
  for (const id of people) {
    const bad = (await getBadContact(t.db, id, "phone", phone, NOW))!;
    assert.equal(bad.last.problem, "opted_out");
    assert.equal(bad.last.mode, "text");
  }
  assert.ok((await reported(t, { problem: "opted_out" })).includes("gdn1"));
  await text("START");
  assert.ok(!(await reported(t, { problem: "opted_out" })).includes("gdn1"));
  assert.ok((await reported(t, { problem: "opted_out", status: "fixed" })).includes("gdn1"));
  await mock.close();
  await s.close();
});
