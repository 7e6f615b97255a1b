/**
 * Email throughput at district scale: one run to 10,000 staff (one email
 * address each) into an SMTP server on 127.0.0.1, next to nodemailer alone
 * sending as many emails into the same server through the same pool (10
 * connections, TCP_NODELAY, as services/providers/smtp.ts builds it). The
 * ratio is what dispatch costs on top of SMTP: per email a claim and a record
 * commit, reads, merge fields.
 *
 * A 10,000-email run takes seconds, so it is made once per bench, in the call
 * Deno makes first to warm up (unmeasured), and its figures are printed; the
 * measured calls that follow are runs of 1,000, so the table and its summary
 * compare equal work. The Messenger run's district is set up outside the
 * measured time; its clock stands still and jumps over waits, so the time is
 * the work alone.
 *
 * DISPATCH_BENCH_N sets the number of recipients (default 10,000);
 * DISPATCH_BENCH_KV=memory keeps KV in memory instead of a file like production's.
 */
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { Dispatcher } from "../services/dispatch/dispatcher.ts";
import { dueJobIds, getJob } from "../services/store/jobs.ts";
import { type Calendar, type District, DISTRICT_DEFAULTS, type Message, type Person } from "../services/model.ts";
import { buildProviders } from "../services/providers/index.ts";
import { noDelaySocket } from "../services/providers/smtp.ts";
import { saveCalendar, saveDistrict, saveSchool } from "../services/store/district.ts";
import type { Db } from "../services/store/kv.ts";
import { saveMessage } from "../services/store/messages.ts";
import { createPeople } from "../services/store/people.ts";
import { getRun } from "../services/store/runs.ts";
import { audit } from "../tests/support/fixtures.ts";
import { NOW, TestClock } from "../tests/support/app.ts";

const N = Number(Deno.env.get("DISPATCH_BENCH_N") ?? 10_000);
if (!Number.isInteger(N) || N < 1) throw new Error("DISPATCH_BENCH_N: a whole number of recipients, at least 1");
const CONNECTIONS = 10;
const IN_MEMORY = Deno.env.get("DISPATCH_BENCH_KV") === "memory";
const FROM = "Lincoln Elementary <office@lincoln.example>";
const SUBJECT = "Staff meeting moved to the library";
const TEXT = "Dear {{recipient.firstName}}, Thursday's staff meeting is in the library at 3:30. " +
  "Bring your grade-level plans. Thank you, {{school.name}}";
const HTML = "<p>Dear {{recipient.firstName}},</p><p>Thursday's staff meeting is in the library at 3:30. " +
  "Bring your grade-level plans.</p><p>Thank you, {{school.name}}</p>";

// ---- A sink that only counts (parsing every message would be the bottleneck), in a
// worker: on its own thread, like a mail server on another machine, it does not
// take the event loop from the sender it measures.

const SINK_WORKER = "dispatch-bench-sink";

interface CountingSink {
  url: string;
  /** Resolves with the count once `count` messages in all have arrived. */
  reached(count: number): Promise<number>;
}

/** The worker's side: an smtp-server that drains each message and counts it. */
async function serveSink(scope: { postMessage(m: unknown): void; onmessage: ((e: MessageEvent) => void) | null }) {
  let received = 0;
  let waiting: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream: Readable, _session: unknown, callback: (err?: Error) => void) {
      stream.on("data", () => {});
      stream.on("end", () => {
        received++;
        if (waiting.some((n) => n <= received)) {
          waiting = waiting.filter((n) => n > received);
          scope.postMessage({ received });
        }
        callback();
      });
    },
  });
  // Replies without Nagle's delay, as the sender's sockets do.
  server.server.on("connection", (socket: Socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  scope.onmessage = (e: MessageEvent<{ wait: number }>) => {
    if (received >= e.data.wait) scope.postMessage({ received });
    else waiting.push(e.data.wait);
  };
  scope.postMessage({ port: (server.server.address() as { port: number }).port });
}

async function startCountingSink(): Promise<CountingSink> {
  const worker = new Worker(import.meta.url, { type: "module", name: SINK_WORKER });
  let listeners: ((data: { port?: number; received?: number }) => void)[] = [];
  worker.onmessage = (e) => {
    const current = listeners;
    listeners = [];
    for (const l of current) l(e.data);
  };
  const next = () => new Promise<{ port?: number; received?: number }>((resolve) => listeners.push(resolve));
  const { port } = await next();
  return {
    url: `smtp://127.0.0.1:${port}`,
    reached(count: number) {
      const answer = next();
      worker.postMessage({ wait: count });
      return answer.then((d) => d.received!);
    },
  };
}

// ---- nodemailer alone: the pool Messenger's SMTP provider builds (services/providers/smtp.ts).

function pooledTransport(url: string) {
  const options = { url, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, getSocket: noDelaySocket };
  return nodemailer.createTransport(options as Parameters<typeof nodemailer.createTransport>[0]);
}

/** Sends `count` emails like Messenger's (same sizes, merged names), all handed to the pool at once. */
async function rawNodemailer(sink: CountingSink, count: number): Promise<number> {
  const transport = pooledTransport(sink.url);
  const before = await sink.reached(0);
  const start = performance.now();
  const fill = (s: string, i: number) =>
    s.replaceAll("{{recipient.firstName}}", `First${i}`).replaceAll("{{school.name}}", "Lincoln Elementary");
  await Promise.all(Array.from({ length: count }, (_, i) =>
    transport.sendMail({
      from: FROM,
      to: `staff${i}@bench.example`,
      subject: SUBJECT,
      html: fill(HTML, i),
      text: fill(TEXT, i),
      messageId: `<raw.${i}@messenger.bench>`,
    })));
  await sink.reached(before + count);
  const ms = performance.now() - start;
  transport.close();
  return ms;
}

// ---- Messenger: a district with one school of `count` staff, one email message due now.

interface BenchDistrict {
  db: Db;
  close(): Promise<void>;
}

async function district(count: number): Promise<BenchDistrict> {
  const dir = IN_MEMORY ? null : await Deno.makeTempDir({ prefix: "dispatch_bench" });
  const kv = await Deno.openKv(dir ? `${dir}/bench.kv` : ":memory:");
  const db = { kv, districtId: "bench" };
  const d: District = {
    id: "bench",
    name: "Maple Valley School District",
    timeZone: "America/Chicago",
    ...DISTRICT_DEFAULTS,
  };
  const calendar: Calendar = {
    id: "lincoln-2026",
    schoolId: "lincoln",
    name: "2026-27 Lincoln Elementary",
    schoolYear: "2026-27",
    startDate: "2026-08-19",
    endDate: "2027-05-28",
    noSchoolDays: [],
  };
  await saveDistrict(db, d);
  await saveSchool(db, { id: "lincoln", name: "Lincoln Elementary" });
  await saveCalendar(db, calendar);
  const people: Person[] = Array.from({ length: count }, (_, i) => ({
    id: `stf-${i}`,
    kind: "staff",
    firstName: `First${i}`,
    lastName: `Last${i}`,
    schoolIds: ["lincoln"],
    studentIds: [],
    devices: [{
      id: `dev-${i}`,
      kind: "email",
      address: `staff${i}@bench.example`,
      text: false,
      general: true,
      priority: true,
      emergency: true,
    }],
  }));
  await createPeople(db, people);
  const message: Message = {
    id: "msg-bench",
    type: "general",
    subject: SUBJECT,
    modes: ["email"],
    content: { emailHtml: HTML, emailText: TEXT, text: "", voice: "", inbox: "" },
    attachments: [],
    calendarId: calendar.id,
    recipients: { types: ["staff"], grades: [], personIds: [], oneCopyPerGuardian: true },
    // NOW is 10:00 in Chicago: due now.
    schedule: { kind: "once", date: "2026-11-26", times: { email: "10:00" } },
    created: { userId: "u1", name: "User u1", at: "2026-11-01T00:00:00Z" },
    nextAt: NOW,
  };
  await saveMessage(db, null, message, audit());
  return {
    db,
    close: async () => {
      kv.close();
      if (dir) await Deno.remove(dir, { recursive: true });
    },
  };
}

interface MessengerFigures {
  ms: number;
  sent: number;
  received: number;
  /** Wall time inside the sweeps. */
  phases: { sweep?: number };
}

/**
 * The run from its start to "completed", its jobs run as the sweep runs them.
 * A TestClock stands still while it works and jumps over waits (the finish
 * check's 30 s), so the time is the work alone.
 */
async function messenger(sink: CountingSink, { db }: BenchDistrict): Promise<MessengerFigures> {
  const clock = new TestClock(NOW);
  const providers = buildProviders(db, clock, { smtp: { url: sink.url, from: FROM, maxConnections: CONNECTIONS } });
  const dispatcher = new Dispatcher({ db, clock, providers, publicUrl: "http://127.0.0.1:9" });
  const phases: MessengerFigures["phases"] = {};
  const before = await sink.reached(0);
  const start = performance.now();
  const run = await dispatcher.startOccurrence("msg-bench", clock.now());
  if (!run) throw new Error("the message was not due");
  // The sweep as an instance runs it: DISPATCH_SLOTS jobs at once, the send shards side by side.
  for (let round = 0; round < 100; round++) {
    const t = performance.now();
    const ran = await dispatcher.sweep();
    phases.sweep = (phases.sweep ?? 0) + performance.now() - t;
    if ((await getRun(db, run.id))?.value.status === "completed") break;
    if (ran === 0) {
      const [next] = await dueJobIds(db, Number.MAX_SAFE_INTEGER, 1);
      const job = next ? await getJob(db, next) : null;
      if (!job) break;
      clock.at = Math.max(clock.at + 1000, job.value.leaseUntil ?? job.value.dueAt);
    }
  }
  const ms = performance.now() - start;
  await providers.close();
  const done = (await getRun(db, run.id))!.value;
  if (done.status !== "completed") throw new Error(`the run ended ${done.status}`);
  const received = await sink.reached(0) - before;
  return { ms, sent: done.counts.email?.sent ?? 0, received, phases };
}

// ---- The benches.

/** Recipients in each measured call; the full-size run is the warm-up call's. */
const UNIT = Math.min(N, 1000);
/** A small run before the full-size one, so it is not measured while the JIT is still cold. */
const WARM_UP = Math.min(N, 200);
const perSecond = (count: number, ms: number) => Math.round(count / (ms / 1000));
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmt = (n: number) => n.toLocaleString("en-US");

async function messengerRun(sink: CountingSink, count: number) {
  const setupStart = performance.now();
  const d = await district(count);
  const setupMs = performance.now() - setupStart;
  try {
    return { setupMs, ...await messenger(sink, d) };
  } finally {
    await d.close();
  }
}

if ((globalThis as { name?: string }).name === SINK_WORKER) {
  await serveSink(globalThis as unknown as Parameters<typeof serveSink>[0]);
} else {
  const sink = await startCountingSink();
  let rawRate = 0;
  let rawCalls = 0;
  let messengerCalls = 0;

  Deno.bench({
    name: `nodemailer alone → SMTP sink, ${fmt(UNIT)} emails, ${CONNECTIONS} pooled connections`,
    group: "email throughput",
    baseline: true,
    n: 1,
    warmup: 0,
    async fn(b) {
      if (rawCalls++ > 0) {
        b.start();
        await rawNodemailer(sink, UNIT);
        b.end();
        return;
      }
      await rawNodemailer(sink, WARM_UP);
      const ms = await rawNodemailer(sink, N);
      rawRate = perSecond(N, ms);
      console.log(`\n  nodemailer alone: ${fmt(N)} emails in ${seconds(ms)} = ${fmt(rawRate)} emails/s`);
    },
  });

  Deno.bench({
    name: `Messenger run → SMTP sink, ${fmt(UNIT)} staff with one email each`,
    group: "email throughput",
    n: 1,
    warmup: 0,
    async fn(b) {
      if (messengerCalls++ > 0) {
        const d = await district(UNIT);
        b.start();
        await messenger(sink, d);
        b.end();
        await d.close();
        return;
      }
      await messengerRun(sink, WARM_UP);
      const f = await messengerRun(sink, N);
      if (f.sent !== N || f.received !== N) {
        throw new Error(`expected ${N} emails sent and received, not ${f.sent} and ${f.received}`);
      }
      const rate = perSecond(N, f.ms);
      const phases = Object.entries(f.phases).map(([k, v]) => `${k} ${seconds(v)}`).join(", ");
      console.log(
        `\n  Messenger: ${fmt(N)} emails sent and received in ${seconds(f.ms)} = ${fmt(rate)} emails/s ` +
          `(in sweeps: ${phases}; KV ${IN_MEMORY ? "in memory" : "in a file"}; set up in ${seconds(f.setupMs)})`,
      );
      if (rawRate) console.log(`  Messenger ÷ nodemailer alone: ${(rate / rawRate).toFixed(2)}`);
    },
  });
}
