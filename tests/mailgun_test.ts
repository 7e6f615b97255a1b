/**
 * Email through Mailgun, end to end on loopback: dispatch sends batches to a
 * Mailgun-compatible mock (tests/support/mailgun_mock.ts), which posts its
 * signed events to the app's /webhooks/mailgun; the deliveries, the run's
 * completion, the opt-outs and the Recipient Report follow them.
 */
import { freePort } from "./support/child.ts";
import assert from "node:assert/strict";
import { makeDue, NOW, signedIn, type TestApp, testApp } from "./support/app.ts";
import { type MailgunMock, startMailgunMock } from "./support/mailgun_mock.ts";
import { buildProviders } from "../services/providers/index.ts";
import type { Providers } from "../services/providers/types.ts";
import { signMailgun } from "../services/providers/mailgun_signature.ts";
import { deliveriesOf, type Delivery, runEmailFacts } from "../services/store/deliveries.ts";
import { getRun } from "../services/store/runs.ts";
import { dueJobIds, getJob } from "../services/store/jobs.ts";
import { getCalendar, getDistrict } from "../services/store/district.ts";
import { createPeople, getPerson } from "../services/store/people.ts";
import type { Person, Run } from "../services/model.ts";
import { unsubscribePath, unsubscribeSecret, withUnsubscribeLink } from "../services/unsubscribe.ts";

interface MailgunApp {
  t: TestApp;
  mock: MailgunMock;
  providers: Providers;
  close(): Promise<void>;
}

/** The app served on loopback (Mailgun posts its events there), its email going to the mock. */
async function mailgunApp(options: { eventDelayMs?: number } = {}): Promise<MailgunApp> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const clock = { at: NOW };
  // Events are signed with the app's clock, which stands still at NOW: real time would be stale to it.
  const mock = startMailgunMock({ webhookUrl: `${url}/webhooks/mailgun`, now: () => clock.at, ...options });
  let providers: Providers | undefined;
  const t = await testApp({
    providers: (db, c) =>
      providers = buildProviders(db, c, {
        mailgun: {
          apiKey: mock.apiKey,
          domain: mock.domain,
          apiBase: mock.url,
          from: "Lincoln <office@lincoln.example>",
        },
      }),
    publicUrl: url,
    mailgunSigningKey: mock.signingKey,
  });
  Object.defineProperty(clock, "at", { get: () => t.clock.at });
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, t.app.fetch);
  return {
    t,
    mock,
    providers: providers!,
    close: async () => {
      await mock.settled();
      await providers!.close();
      await mock.close();
      await server.shutdown();
      t.close();
    },
  };
}

/** Dispatch and the mock's events in turn, the clock moved to each next job, until the run ends or `rounds` pass. */
async function untilDone(a: MailgunApp, runId: string, rounds = 60): Promise<Run> {
  const { t, mock } = a;
  for (let i = 0; i < rounds; i++) {
    await t.dispatcher.drain();
    await mock.settled();
    const run = (await getRun(t.db, runId))!.value;
    if (run.status === "completed" || run.status === "canceled" || run.status === "failed") return run;
    const [id] = await dueJobIds(t.db, Number.MAX_SAFE_INTEGER, 1);
    const job = id ? await getJob(t.db, id) : null;
    if (!job) break;
    t.clock.at = Math.max(t.clock.at + 1000, job.value.leaseUntil ?? job.value.dueAt);
  }
  return (await getRun(t.db, runId))!.value;
}

const emails = async (t: TestApp, runId: string): Promise<Delivery[]> =>
  (await Array.fromAsync(deliveriesOf(t.db, runId, "email"))).map((d) => d.value);

const CONTENT = {
  emailHtml: "<p>Dear {{recipient.firstName}} {{recipient.lastName}},</p><p>the slip is due.</p>",
  emailText: "Dear {{recipient.firstName}} {{recipient.lastName}},\nthe slip is due.",
  text: "",
  voice: "",
  inbox: "",
};

/** The field trip (it has an attachment) by email to every Lincoln guardian. */
function fieldTrip(t: TestApp) {
  return makeDue(t.db, "msg-field-trip", {
    modes: ["email"],
    content: CONTENT,
    recipients: { types: ["guardians"], grades: [], personIds: [], oneCopyPerGuardian: true },
  });
}

Deno.test("Mailgun: a run goes out in batches of at most 1,000, each email merged for its recipient and tagged with its delivery", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  const message = await fieldTrip(t);
  const school = (await getCalendar(t.db, message.calendarId))!.schoolId;
  const families: Person[] = Array.from({ length: 1_200 }, (_, i) =>
    [
      {
        id: `mg-stu-${i}`,
        kind: "student",
        firstName: "Kid",
        lastName: `N${i}`,
        schoolIds: [school],
        grade: "2",
        studentIds: [],
        devices: [],
      },
      {
        id: `mg-gdn-${i}`,
        kind: "guardian",
        firstName: "Parent",
        lastName: `N${i}`,
        schoolIds: [school],
        studentIds: [`mg-stu-${i}`],
        devices: [{
          id: "e",
          kind: "email",
          address: `parent${i}@family.example`,
          text: false,
          general: true,
          priority: true,
          emergency: true,
        }],
      },
    ] satisfies Person[]).flat();
  await createPeople(t.db, families);
  const run = (await t.dispatcher.startOccurrence(message.id, NOW))!;
  const done = await untilDone(a, run.id);
  assert.equal(done.status, "completed");
  const deliveries = await emails(t, run.id);
  assert.ok(deliveries.length > 1_200, `${deliveries.length} emails`);
  // Shards of 1,000 deliveries, one call each (a call more where an address repeats in a shard).
  assert.ok(mock.batches.every((b) => b.to.length <= 1_000));
  assert.ok(mock.batches.some((b) => b.to.length > 900), "a shard is one call, not one call per email");
  assert.ok(mock.batches.length < 10, `${mock.batches.length} calls`);
  assert.deepEqual(
    mock.delivered.map((m) => m.to).sort(),
    deliveries.map((d) => d.address!.toLowerCase()).sort(),
    "every address once",
  );
  // A General message: each email has its own unsubscribe link, per recipient through recipient variables.
  const secret = await unsubscribeSecret(t.db);
  const district = (await getDistrict(t.db))!.name;
  assert.ok(mock.batches.every((b) => b.fields["h:List-Unsubscribe"][0] === "<%recipient.unsubscribe%>"));
  assert.ok(mock.batches.every((b) => b.fields["h:List-Unsubscribe-Post"][0] === "List-Unsubscribe=One-Click"));
  for (const i of [0, 517, 1_199]) {
    const d = deliveries.find((x) => x.personId === `mg-gdn-${i}`)!;
    const got = mock.delivered.find((m) => m.to === `parent${i}@family.example`)!;
    const path = unsubscribePath(secret, { personId: d.personId, deviceId: "e", address: d.address! });
    const url = `${new URL(mock.webhookUrl!).origin}${path}`;
    const merged = {
      text: `Dear Parent N${i},\nthe slip is due.`,
      html: `<p>Dear Parent N${i},</p><p>the slip is due.</p>`,
    };
    const expected = withUnsubscribeLink(merged, url, district);
    assert.equal(got.text, expected.text);
    assert.equal(got.html, expected.html);
    assert.equal(got.headers["List-Unsubscribe"], `<${url}>`, "their own link");
    assert.equal(got.headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
    assert.equal(got.subject, "Field trip permission slips due");
    assert.deepEqual(got.userVariables, { d: "demo", r: run.id, id: d.id }, "its events find their delivery");
    assert.equal(d.providerId, got.messageId);
    assert.equal(d.state, "delivered", "the mock's delivered event reached it");
  }
  for (const call of mock.batches) {
    assert.deepEqual(call.attachments.map((x) => x.filename), ["field-trip-permission-slips-due.pdf"], "once a call");
  }
  await a.close();
});

Deno.test("Mailgun: Priority and Emergency email carries no List-Unsubscribe and no unsubscribe link", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  await fieldTrip(t);
  for (const [n, type] of (["priority", "emergency"] as const).entries()) {
    const at = NOW + n * 3_600_000;
    t.clock.at = at;
    await makeDue(t.db, "msg-field-trip", { type }, at);
    const run = (await t.dispatcher.startOccurrence("msg-field-trip", at))!;
    assert.equal((await untilDone(a, run.id)).status, "completed");
  }
  assert.ok(mock.delivered.length > 10);
  for (const call of mock.batches) {
    assert.deepEqual(Object.keys(call.fields).filter((f) => f.startsWith("h:List-")), []);
  }
  assert.ok(mock.delivered.every((m) => !/unsubscribe/i.test(`${m.html}${m.text}`) && !m.headers["List-Unsubscribe"]));
  await a.close();
});

Deno.test("Mailgun events: bounce → failed with the reason, complaint → failed and General email off, open counted, a deferral still sending", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  await fieldTrip(t);
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  // A first call that fails for a while: the deliveries exist, nothing is sent yet, and their outcomes can be scripted.
  mock.failNext(1, 500);
  await t.dispatcher.drain();
  const first = await emails(t, run.id);
  assert.ok(first.length >= 5 && first.every((d) => d.state === "pending"));
  const [bounced, complained, opened, deferred] = first.map((d) => d.address!.toLowerCase());
  mock.bounce.add(bounced);
  mock.complain.add(complained);
  mock.open.add(opened);
  mock.tempfail.add(deferred);
  t.clock.at = Math.max(...first.map((d) => d.notBefore!));
  await t.dispatcher.drain();
  await mock.settled();
  const byAddress = async (address: string) =>
    (await emails(t, run.id)).find((d) => d.address!.toLowerCase() === address)!;
  const b = await byAddress(bounced);
  assert.equal(b.state, "failed");
  assert.match(b.error!, /bounced: the receiving mail server refused it \(550 .*does not exist/);
  const c = await byAddress(complained);
  assert.equal(c.state, "failed", "a complaint after delivery still fails it");
  assert.match(c.error!, /marked it as spam/);
  const person = (await getPerson(t.db, c.personId))!.value;
  const device = person.devices.find((x) => x.address.toLowerCase() === complained)!;
  assert.equal(device.general, false, "General email is off for that address");
  assert.equal(device.emergency, true, "Emergency still arrives");
  const o = await byAddress(opened);
  assert.equal(o.state, "delivered");
  assert.ok(o.openedAt !== undefined);
  assert.equal((await runEmailFacts(t.db, run.id)).opened, 1);
  const late = await byAddress(deferred);
  assert.equal(late.state, "sent", "Mailgun retries a temporary failure: not final");
  assert.match(late.history.at(-1)!.detail!, /delayed: .*451.*Mailgun retries/);
  assert.equal((await getRun(t.db, run.id))!.value.status, "sending", "the run waits for the deferred email's word");
  // The Recipient Report shows them to staff.
  const office = await signedIn(t, "office");
  const report = await (await office.get(`/runs/${run.id}/recipients?mode=email`)).text();
  assert.match(report, /failed: the mail server says the address does not exist/);
  assert.match(
    report,
    /5.1.1 The email account that you tried to reach does not exist/,
    "Mailgun's words under Details",
  );
  assert.match(report, /Opened /);
  // No word on the deferred email for STATUS_WAIT_MINUTES: final as sent.
  t.clock.at += 31 * 60_000;
  assert.equal((await untilDone(a, run.id)).status, "completed");
  assert.equal((await byAddress(deferred)).state, "sent");
  await a.close();
});

Deno.test("Mailgun events: a late or repeated event never moves an email backwards; an event for another send is unknown", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  await fieldTrip(t);
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  await untilDone(a, run.id);
  const [d] = await emails(t, run.id);
  assert.equal(d.state, "delivered");
  const event = (kind: string, extra: Record<string, unknown> = {}) => ({
    event: kind,
    timestamp: t.clock.at / 1000,
    id: crypto.randomUUID(),
    recipient: d.address,
    "user-variables": { d: "demo", r: run.id, id: d.id },
    message: { headers: { "message-id": d.providerId } },
    ...extra,
  });
  assert.equal((await mock.postEvent(event("accepted"))).body, "ignored");
  assert.equal((await mock.postEvent(event("failed", { severity: "permanent" }))).body, "ignored");
  assert.equal((await mock.postEvent(event("delivered"))).body, "ignored");
  assert.equal((await mock.postEvent(event("opened"))).body, "applied");
  assert.equal((await mock.postEvent(event("opened"))).body, "ignored", "the first open only");
  assert.equal((await mock.postEvent(event("clicked"))).body, "applied");
  const other = event("delivered", { message: { headers: { "message-id": "someone-else@mg.example" } } });
  assert.equal((await mock.postEvent(other)).body, "unknown");
  const [after] = await emails(t, run.id);
  assert.equal(after.state, "delivered");
  assert.equal((await runEmailFacts(t.db, run.id)).opened, 1, "a click after an open is not a second open");
  assert.ok(after.clickedAt !== undefined && after.openedAt !== undefined);
  await a.close();
});

/** The field trip handed to Mailgun, its events held back: the run and its first email, "sent". */
async function sentAwaitingEvents({ t, mock }: MailgunApp) {
  await fieldTrip(t);
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  mock.hold = true;
  await t.dispatcher.drain();
  const [d] = await emails(t, run.id);
  return { run, d };
}

Deno.test("/webhooks/mailgun: forged, stale, replayed or malformed events are 403 and change nothing", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  const { run, d } = await sentAwaitingEvents(a);
  assert.equal(d.state, "sent");
  const bounce = {
    event: "failed",
    severity: "permanent",
    "user-variables": { d: "demo", r: run.id, id: d.id },
    message: { headers: { "message-id": d.providerId } },
  };
  assert.equal((await mock.postEvent(bounce, { signingKey: "not-the-signing-key-0123456789" })).status, 403);
  const hourAgo = String(Math.floor(t.clock.at / 1000) - 3_700);
  assert.equal((await mock.postEvent(bounce, { timestamp: hourAgo })).status, 403, "stale");
  const ahead = String(Math.floor(t.clock.at / 1000) + 3_700);
  assert.equal((await mock.postEvent(bounce, { timestamp: ahead })).status, 403, "from the future");
  const url = mock.webhookUrl!;
  for (const body of ["{", "[]", JSON.stringify({ signature: {}, "event-data": bounce })]) {
    const res = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json" } });
    assert.equal(res.status, 403, body);
    await res.body?.cancel();
  }
  assert.equal((await emails(t, run.id))[0].state, "sent", "nothing changed");
  // A valid event applies once; the same token again is a replay.
  const timestamp = String(Math.floor(t.clock.at / 1000));
  const token = "a-token-seen-once-0123456789abcdef";
  assert.equal((await mock.postEvent(bounce, { timestamp, token })).status, 200);
  assert.equal((await emails(t, run.id))[0].state, "failed");
  const replay = await mock.postEvent(bounce, {
    timestamp,
    token,
    signature: signMailgun(mock.signingKey, timestamp, token),
  });
  assert.equal(replay.status, 403);
  assert.match(replay.body, /already received/);
  mock.hold = false;
  await mock.release();
  await a.close();
});

Deno.test("Mailgun: a 429 puts the batch back with Retry-After; a 400 fails it with Mailgun's words", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  await fieldTrip(t);
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  // Retry-After pauses every instance's email sender in real time: a short one keeps the test short.
  mock.failNext(1, 429, 2);
  await t.dispatcher.drain();
  const waiting = await emails(t, run.id);
  assert.ok(waiting.every((d) => d.state === "pending" && d.notBefore! >= NOW + 15_000), "all wait for the backoff");
  assert.match(waiting[0].error!, /429|Too many requests/);
  assert.equal(mock.batches.length, 0);
  assert.equal((await untilDone(a, run.id)).status, "completed");
  assert.ok((await emails(t, run.id)).every((d) => d.state === "delivered"));
  const calls = mock.batches.length;
  // A second run refused outright.
  await fieldTrip(t);
  const refused = (await t.dispatcher.startOccurrence("msg-field-trip", t.clock.at))!;
  mock.failNext(1, 400);
  assert.equal((await untilDone(a, refused.id)).status, "completed");
  const failed = await emails(t, refused.id);
  assert.ok(failed.every((d) => d.state === "failed"));
  assert.match(failed[0].error!, /not a valid address/);
  assert.equal(mock.batches.length, calls, "a refused call is not repeated");
  await a.close();
});

Deno.test("Mailgun: a crash after the call, before its record, resends only that batch, once, after the send timeout", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  await fieldTrip(t);
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  // The process "dies" right after Mailgun took the batch: no commit of the record lands.
  const atomic = t.db.kv.atomic.bind(t.db.kv);
  let dead = false;
  const batch = a.providers.emailBatch!;
  const send = batch.send;
  batch.send = async (b) => {
    const accepted = await send(b);
    dead = true;
    return accepted;
  };
  t.db.kv.atomic = () => {
    const op = atomic();
    const commit = op.commit.bind(op);
    op.commit = () => dead ? Promise.reject(new Error("the process died here")) : commit();
    return op;
  };
  await t.dispatcher.drain().catch(() => {});
  assert.equal(mock.batches.length, 1);
  const firstCall = mock.batches[0].to.length;
  t.db.kv.atomic = atomic;
  batch.send = send;
  dead = false;
  const stuck = await emails(t, run.id);
  assert.ok(stuck.every((d) => d.state === "sending"), "claimed, never recorded");
  assert.equal((await untilDone(a, run.id)).status, "completed");
  const deliveries = await emails(t, run.id);
  assert.ok(deliveries.every((d) => d.state === "delivered"));
  assert.equal(mock.batches.length, 2, "the batch once more, after the send timeout");
  const sends = new Map<string, number>();
  for (const m of mock.delivered) sends.set(m.to, (sends.get(m.to) ?? 0) + 1);
  assert.ok([...sends.values()].every((n) => n === 2), "each address of the cut-off batch twice, never more");
  assert.equal(sends.size, firstCall);
  await a.close();
});

Deno.test("/webhooks/mailgun: an event and its replay at once: exactly one applies, the other is refused", async () => {
  const a = await mailgunApp();
  const { t, mock } = a;
  const { run, d } = await sentAwaitingEvents(a);
  const delivered = {
    event: "delivered",
    "user-variables": { d: "demo", r: run.id, id: d.id },
    message: { headers: { "message-id": d.providerId } },
  };
  const timestamp = String(Math.floor(t.clock.at / 1000));
  const token = "one-event-two-posts-0123456789abcdef";
  const answers = await Promise.all([1, 2, 3].map(() => mock.postEvent(delivered, { timestamp, token })));
  assert.deepEqual(answers.map((x) => x.status).sort(), [200, 403, 403]);
  assert.equal(answers.find((x) => x.status === 200)!.body, "applied");
  const [after] = await emails(t, run.id);
  assert.equal(after.state, "delivered");
  assert.equal(after.history.filter((h) => h.state === "delivered").length, 1, "moved once");
  mock.hold = false;
  await mock.release();
  await a.close();
});
