/**
 * Crash and restart: the real app (main.ts) as a child process on a KV file,
 * the demo district, email to a real SMTP server in this process. The app is
 * killed with SIGKILL in the middle of sending and started again on the same
 * file; every delivery must end final, the run Sent, every address mailed,
 * and only deliveries in flight at the kill sent twice (the bound in
 * sending.ts), each only after the send timeout.
 *
 * Time: the app's own settings make it quick. DISPATCH_SECONDS=1 sweeps every
 * second instead of each cron minute; LEASE_SECONDS and SEND_TIMEOUT_SECONDS
 * of a few seconds stand in for the 2 and 5 minutes a crash waits out in
 * production.
 */
import assert from "node:assert/strict";
import type { ParsedMail } from "mailparser";
import { DEFAULT_SLOTS } from "../services/dispatch/context.ts";
import { deliveriesOf, type Delivery, MAX_BATCH } from "../services/store/deliveries.ts";
import { getRun, runsOfMessage } from "../services/store/runs.ts";
import type { Db } from "../services/store/kv.ts";
import type { Run } from "../services/model.ts";
import { Client, makeDue, overHttp } from "./support/app.ts";
import { startSink } from "./support/smtp_sink.ts";
import { type AppChild, startApp, waitFor } from "./support/child.ts";

/** The README's duplicate bound for one instance: DISPATCH_SLOTS × SEND_BATCH (both at their defaults). */
const BOUND = DEFAULT_SLOTS * MAX_BATCH;
const MESSAGE = "msg-newsletter"; // Washington guardians, students and staff; email and inbox.
const SUBJECT = "Washington monthly newsletter";
const FINAL = new Set(["sent", "delivered", "failed", "canceled"]);
const SEND_TIMEOUT_SECONDS = 4;
const TIMING = { DISPATCH_SECONDS: "1", LEASE_SECONDS: "4", SEND_TIMEOUT_SECONDS: String(SEND_TIMEOUT_SECONDS) };

async function withKv<T>(path: string, f: (db: Db) => Promise<T>): Promise<T> {
  const kv = await Deno.openKv(path);
  try {
    return await f({ kv, districtId: "demo" });
  } finally {
    kv.close();
  }
}

async function all(db: Db, runId: string): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for await (const d of deliveriesOf(db, runId)) out.push(d.value);
  return out;
}

/** The message's runs started at or after `since`. */
async function runsSince(db: Db, since: number): Promise<string[]> {
  return (await runsOfMessage(db, MESSAGE)).filter((r) => r.startedAt >= since).map((r) => r.id);
}

/**
 * Waits for the run to be Sent, watching its page as an administrator. The
 * test opens the KV file only while the app is stopped: a second process can
 * open it, but then some of the app's writes fail with "database is locked",
 * and a failed write right after an accepted email makes deliver() (in
 * sending.ts) retry, so send, that email again.
 */
async function completed(app: AppChild, runId: string, timeoutMs: number): Promise<void> {
  const client = new Client(overHttp(app.url));
  await client.signIn("admin", "demo-admin");
  await waitFor(
    `run ${runId} to complete`,
    async () =>
      (await (await client.get(`/runs/${runId}`)).text()).match(/class="status status-(\w+)"/)?.[1] === "completed",
    timeoutMs,
    200,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}\napp output:\n${app.output()}`);
  });
}

/** The run of the newsletter whose emails reach the sink first. */
function runAtSink(messages: ParsedMail[]): string | undefined {
  return messages.find((m) => m.subject === SUBJECT)?.messageId?.match(/^<(\w+)\./)?.[1];
}

/** The run's emails at the sink, by the Message-ID dispatch gives each delivery. */
function mailsOf(messages: ParsedMail[], runId: string): ParsedMail[] {
  return messages.filter((m) => m.messageId?.startsWith(`<${runId}.`));
}

const messageIdOf = (d: Delivery) => `<${d.runId}.${d.id.replaceAll(/[^\w.-]/g, "_")}@messenger.demo>`;
const addressOf = (m: ParsedMail) => (m.to && !Array.isArray(m.to) ? m.to.value[0].address ?? "" : "");

function tally<T>(items: T[]): Map<T, number> {
  const out = new Map<T, number>();
  for (const x of items) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
}

Deno.test("crash: SIGKILL mid-send, restart on the same KV file: every delivery final, run Sent, every address mailed, only in-flight deliveries twice (≤ DISPATCH_SLOTS × the batch), after the send timeout", async () => {
  const began = Date.now();
  const dir = await Deno.makeTempDir({ prefix: "messenger-crash-" });
  const kvPath = `${dir}/m.kv`;
  const sink = await startSink();
  const env = { MESSENGER_ENV: "demo", SMTP_URL: sink.url, MESSENGER_QUEUE: "on", ...TIMING };
  try {
    const app = await startApp({ kvPath, env });
    let runId: string;
    try {
      // Send Now on an edit of the newsletter: the app starts the run at once and queues it.
      const client = new Client(overHttp(app.url));
      await client.signIn("admin", "demo-admin");
      const edit = await client.get(`/messages/${MESSAGE}/edit`);
      assert.equal(edit.status, 303, await edit.text());
      const draft = edit.headers.get("Location")!.split("/")[2];
      const sent = await client.post(`/compose/${draft}/send`, {
        type: "general",
        modes: ["email", "inbox"],
        when: "now",
        repeat: "none",
        go: "commit",
      });
      assert.equal(sent.status, 303, await sent.text());
      // An edit that becomes Send Now lands where the message now is: In Progress.
      assert.equal(sent.headers.get("Location"), "/messages?tab=in-progress&done=updated");
      runId = await waitFor("the first email at the sink", () => runAtSink(sink.messages), 30_000, 1);
      // Some of the emails are out, not all: kill.
      await waitFor("the first emails at the sink", () => mailsOf(sink.messages, runId).length >= 20, 60_000, 1);
    } finally {
      await app.kill();
    }
    const atKill = mailsOf(sink.messages, runId).length;
    const killed = await withKv(kvPath, (db) => all(db, runId));
    const emails = killed.filter((d) => d.mode === "email");
    const inFlight = emails.filter((d) => d.state === "sending");
    assert.ok(emails.length > 100, `many email recipients (${emails.length})`);
    assert.ok(atKill < emails.length, `killed mid-send: ${atKill} of ${emails.length} emails out`);
    assert.ok(emails.some((d) => !FINAL.has(d.state)), "deliveries left unfinished by the crash");
    assert.ok(inFlight.length <= BOUND, `${inFlight.length} in flight at the kill`);
    console.log(
      `killed after ${Date.now() - began} ms: ${atKill}/${emails.length} emails at the sink, ` +
        `${inFlight.length} sending, ${emails.filter((d) => d.state === "pending").length} pending`,
    );

    // Restart on the same file: the sweep re-drives the send once its lease has run out.
    const restarted = await startApp({ kvPath, env });
    try {
      await completed(restarted, runId, 60_000);
    } finally {
      await restarted.stop();
    }

    const { run, deliveries, runs } = await withKv(kvPath, async (db) => ({
      run: (await getRun(db, runId))!.value as Run,
      deliveries: await all(db, runId),
      runs: await runsSince(db, began),
    }));
    assert.deepEqual(runs, [runId], "Send Now started one run");
    assert.equal(run.status, "completed");
    const notFinal = deliveries.filter((d) => !FINAL.has(d.state));
    assert.deepEqual(notFinal.map((d) => `${d.mode} ${d.id} ${d.state}`), [], "every delivery final");
    const planned = deliveries.filter((d) => d.mode === "email");
    assert.equal(planned.length, emails.length);
    assert.ok(planned.every((d) => d.state === "sent"), "every email sent");
    assert.equal(run.counts.email?.sent, planned.length);
    assert.equal(run.counts.inbox?.delivered, deliveries.filter((d) => d.mode === "inbox").length);

    const mails = mailsOf(sink.messages, runId);
    assert.ok(mails.every((m) => m.subject === SUBJECT));
    const received = new Set(mails.map(addressOf));
    const missing = planned.filter((d) => !received.has(d.address!)).map((d) => d.address);
    assert.deepEqual(missing, [], "every planned address received the message");
    const byId = tally(mails.map((m) => m.messageId!));
    assert.deepEqual(
      planned.filter((d) => !byId.has(messageIdOf(d))).map((d) => d.id),
      [],
      "every delivery's own email arrived",
    );
    const twice = [...byId].filter(([, n]) => n > 1);
    const duplicatedAddresses = [...tally(mails.map(addressOf))].filter(([, n]) => n > 1);
    const inFlightIds = new Set(inFlight.map(messageIdOf));
    const unexpected = twice.filter(([id, n]) => n !== 2 || !inFlightIds.has(id));
    assert.deepEqual(
      unexpected.map(([id, n]) => {
        const d = planned.find((d) => messageIdOf(d) === id);
        return { id, n, atKill: killed.find((k) => k.id === d?.id)?.state, history: d?.history };
      }),
      [],
      "only deliveries in flight at the kill sent again, and once",
    );
    assert.ok(
      duplicatedAddresses.length <= BOUND,
      `${duplicatedAddresses.length} addresses mailed twice; the bound is ${BOUND}`,
    );
    assert.equal(mails.length, planned.length + twice.length);
    // A cut-off delivery is tried again only once it has been "sending" for the send timeout.
    for (const d of planned.filter((d) => d.attempts > 1)) {
      const tries = d.history.filter((h) => h.state === "sending").map((h) => h.at);
      assert.equal(tries.length, 2, `${d.id}: ${JSON.stringify(d.history)}`);
      assert.ok(tries[1] - tries[0] > SEND_TIMEOUT_SECONDS * 1000, `${d.id} resent ${tries[1] - tries[0]} ms later`);
    }
    console.log(
      `restart to Sent: ${mails.length} emails for ${planned.length} deliveries, ` +
        `${planned.filter((d) => d.attempts > 1).length} sent again, ${duplicatedAddresses.length} addresses twice; ` +
        `${Date.now() - began} ms in all`,
    );
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A seeded demo on a KV file in a new folder, its newsletter a one-time
 * message due this minute, for apps run with queues off and shards of 20
 * (the newsletter's emails are then several send jobs, all taken by sweeps).
 */
async function newsletterDue(prefix: string) {
  const dir = await Deno.makeTempDir({ prefix });
  const kvPath = `${dir}/m.kv`;
  const sink = await startSink();
  const env = { MESSENGER_ENV: "demo", SMTP_URL: sink.url, MESSENGER_QUEUE: "off", SEND_SHARD_SIZE: "20", ...TIMING };
  await (await startApp({ kvPath, env })).stop();
  const due = Date.now();
  await withKv(kvPath, (db) => makeDue(db, MESSAGE, {}, due));
  return { dir, kvPath, sink, env, due };
}

Deno.test("queues off: the sweep alone takes a due message's shards through Processing and Sending to Sent, each address mailed once", async () => {
  const began = Date.now();
  const { dir, kvPath, sink, env, due } = await newsletterDue("messenger-sweep-");
  try {
    const app = await startApp({ kvPath, env });
    let runId = "";
    try {
      runId = await waitFor("the sweep to send the first email", () => runAtSink(sink.messages), 30_000, 50);
      await completed(app, runId, 60_000);
    } finally {
      await app.stop();
    }

    const { run, deliveries, runs } = await withKv(kvPath, async (db) => ({
      run: (await getRun(db, runId))!.value as Run,
      deliveries: await all(db, runId),
      runs: await runsSince(db, due),
    }));
    assert.equal(runs.length, 1, "one run for the occurrence");
    assert.equal(run.status, "completed");
    assert.deepEqual(run.transitions.map((t) => t.status), ["processing", "sending", "completed"]);
    assert.ok(deliveries.every((d) => FINAL.has(d.state)), "every delivery final");
    const planned = deliveries.filter((d) => d.mode === "email");
    assert.ok(planned.length > 100);
    assert.ok(planned.every((d) => d.state === "sent" && d.attempts === 1));
    const mails = mailsOf(sink.messages, runId);
    assert.deepEqual(mails.map((m) => m.messageId).sort(), planned.map(messageIdOf).sort(), "each delivery once");
    assert.deepEqual(mails.map(addressOf).sort(), planned.map((d) => d.address).sort(), "each address once");
    console.log(`queues off: ${planned.length} emails, Sent ${Date.now() - began} ms after the first start`);
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two instances on one KV file share a run; SIGKILL one mid-send and the other finishes it, within the duplicate bound", async () => {
  const began = Date.now();
  const { dir, kvPath, sink, env } = await newsletterDue("messenger-pair-");
  try {
    const [first, second] = [await startApp({ kvPath, env }), await startApp({ kvPath, env })];
    let runId = "";
    try {
      runId = await waitFor("the first email at the sink", () => runAtSink(sink.messages), 30_000, 10);
      await waitFor("some emails at the sink", () => mailsOf(sink.messages, runId).length >= 20, 60_000, 1);
      await first.kill();
      await completed(second, runId, 90_000);
    } finally {
      await first.kill();
      await second.stop();
    }
    const { run, deliveries } = await withKv(kvPath, async (db) => ({
      run: (await getRun(db, runId))!.value as Run,
      deliveries: await all(db, runId),
    }));
    assert.equal(run.status, "completed");
    const planned = deliveries.filter((d) => d.mode === "email");
    assert.ok(planned.every((d) => d.state === "sent"), "every email sent");
    const mails = mailsOf(sink.messages, runId);
    const received = new Set(mails.map(addressOf));
    assert.deepEqual(planned.filter((d) => !received.has(d.address!)).map((d) => d.address), [], "nobody left out");
    const twice = [...tally(mails.map(addressOf))].filter(([, n]) => n > 1);
    assert.ok(twice.length <= BOUND, `${twice.length} addresses mailed twice; the bound is ${BOUND}`);
    console.log(
      `two instances, one killed: ${mails.length} emails for ${planned.length} deliveries, ` +
        `${twice.length} twice; ${Date.now() - began} ms in all`,
    );
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});
