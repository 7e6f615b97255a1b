/**
 * Email throughput at district scale: one run to 10,000 staff into an SMTP
 * server on 127.0.0.1, next to nodemailer alone into the same server with the
 * same pool (10 connections, TCP_NODELAY). The ratio is the cost of what
 * dispatch adds per email: the claim and record writes, merge fields, reads.
 *
 * Each figure comes from one whole run, so the benches run with n: 1; Deno
 * still calls each a few times to calibrate, so the first call measures and
 * the later ones repeat a small run. The figures are printed as they come;
 * the table's times are per call and mean little here.
 *
 * DISPATCH_BENCH_N sets the number of recipients (default 10,000);
 * DISPATCH_BENCH_KV=memory uses an in-memory KV instead of a file like
 * production's.
 */
import net from "node:net";
import type { Readable } from "node:stream";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { Dispatcher } from "../services/dispatch/dispatcher.ts";
import { dueJobIds, getJob, type Job } from "../services/dispatch/jobs.ts";
import type { Calendar, District, Message, Person } from "../services/model.ts";
import { buildProviders } from "../services/providers/index.ts";
import { saveCalendar, saveDistrict, saveSchool } from "../services/store/district.ts";
import type { Db } from "../services/store/kv.ts";
import { saveMessage } from "../services/store/messages.ts";
import { createPeople } from "../services/store/people.ts";
import { getRun } from "../services/store/runs.ts";
import { audit } from "../tests/support/fixtures.ts";
import { NOW, TestClock } from "../tests/support/app.ts";

const N = Number(Deno.env.get("DISPATCH_BENCH_N") ?? 10_000);
const CONNECTIONS = 10;
const IN_MEMORY = Deno.env.get("DISPATCH_BENCH_KV") === "memory";
const FROM = "Lincoln Elementary <office@lincoln.example>";
const SUBJECT = "Staff meeting moved to the library";
const TEXT = "Dear {{recipient.firstName}}, Thursday's staff meeting is in the library at 3:30. " +
  "Bring your grade-level plans. Thank you, {{school.name}}";
const HTML = "<p>Dear {{recipient.firstName}},</p><p>Thursday's staff meeting is in the library at 3:30. " +
  "Bring your grade-level plans.</p><p>Thank you, {{school.name}}</p>";

// ---- A sink that only counts: parsing every message would be the bottleneck.

interface CountingSink {
  url: string;
  received: number;
  /** Resolves once `count` messages in all have been received. */
  reached(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startCountingSink(): Promise<CountingSink> {
  const waiters: { count: number; resolve: () => void }[] = [];
  const sink = {
    url: "",
    received: 0,
    reached(count: number) {
      if (sink.received >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    close: () => Promise.resolve(),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream: Readable, _session: unknown, callback: (err?: Error) => void) {
      stream.on("data", () => {});
      stream.on("end", () => {
        sink.received++;
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (sink.received >= waiters[i].count) waiters.splice(i, 1)[0].resolve();
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

// ---- nodemailer alone: the pool Messenger's SMTP provider builds (services/providers/smtp.ts).

function pooledTransport(url: string) {
  return nodemailer.createTransport(
    {
      url,
      pool: true,
      maxConnections: CONNECTIONS,
      maxMessages: Infinity,
      getSocket: (
        opts: { host?: string; port?: number },
        callback: (err: Error | null, socket?: { connection: net.Socket }) => void,
      ) => {
        const socket = net.connect({ host: opts.host, port: opts.port ?? 25 });
        socket.setNoDelay(true);
        socket.once("connect", () => callback(null, { connection: socket }));
        socket.once("error", (err) => callback(err));
      },
    } as Parameters<typeof nodemailer.createTransport>[0],
  );
}

/** Sends `count` emails like Messenger's, at most `inFlight` at a time. */
async function rawNodemailer(sink: CountingSink, count: number, inFlight = count): Promise<number> {
  const transport = pooledTransport(sink.url);
  const before = sink.received;
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const fill = (s: string) =>
        s.replaceAll("{{recipient.firstName}}", `First${i}`).replaceAll("{{school.name}}", "Lincoln");
      await transport.sendMail({
        from: FROM,
        to: `staff${i}@bench.example`,
        subject: SUBJECT,
        html: fill(HTML),
        text: fill(TEXT),
        messageId: `<raw.${i}@messenger.bench>`,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  await sink.reached(before + count);
  const ms = performance.now() - start;
  transport.close();
  return ms;
}

// ---- Messenger: a district with one school of `count` staff, one email message due now.

async function district(count: number): Promise<{ db: Db; close(): Promise<void> }> {
  const dir = IN_MEMORY ? null : await Deno.makeTempDir({ prefix: "dispatch_bench" });
  const kv = await Deno.openKv(dir ? `${dir}/bench.kv` : ":memory:");
  const db = { kv, districtId: "bench" };
  const d: District = {
    id: "bench",
    name: "Maple Valley School District",
    timeZone: "America/Chicago",
    dialingWindow: { start: "07:00", end: "21:00" },
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
    // NOW is 10:00 in Chicago.
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
  /** Wall time inside each kind of job. */
  phases: Partial<Record<Job["kind"], number>>;
}

/** One run from its start to "completed", jobs run as the sweep runs them; the clock moves past waits. */
async function messenger(sink: CountingSink, count: number): Promise<MessengerFigures> {
  const { db, close } = await district(count);
  const clock = new TestClock(NOW);
  const providers = buildProviders(db, clock, { smtp: { url: sink.url, from: FROM, maxConnections: CONNECTIONS } });
  const dispatcher = new Dispatcher({ db, clock, providers, publicUrl: "http://127.0.0.1:9" });
  const phases: MessengerFigures["phases"] = {};
  const before = sink.received;
  const start = performance.now();
  const run = await dispatcher.startOccurrence("msg-bench", clock.now());
  if (!run) throw new Error("the message was not due");
  for (let round = 0; round < 100; round++) {
    const ids = await dueJobIds(db, clock.now());
    for (const id of ids) {
      const kind = (await getJob(db, id))?.value.kind;
      const t = performance.now();
      await dispatcher.runJob(id);
      if (kind) phases[kind] = (phases[kind] ?? 0) + performance.now() - t;
    }
    if ((await getRun(db, run.id))?.value.status === "completed") break;
    if (ids.length === 0) {
      // Only waits left (the finish check's 30 s): move the clock to the next due job.
      const [next] = await dueJobIds(db, Number.MAX_SAFE_INTEGER, 1);
      const job = next ? await getJob(db, next) : null;
      if (!job) break;
      clock.at = Math.max(clock.at + 1000, job.value.leaseUntil ?? job.value.dueAt);
    }
  }
  const ms = performance.now() - start;
  const done = (await getRun(db, run.id))!.value;
  await providers.close();
  await close();
  if (done.status !== "completed") throw new Error(`the run ended ${done.status}`);
  return { ms, sent: done.counts.email?.sent ?? 0, received: sink.received - before, phases };
}

// ---- The benches.

const sink = await startCountingSink();
const perSecond = (count: number, ms: number) => Math.round(count / (ms / 1000));
let rawRate = 0;
let calls = { raw: 0, messenger: 0 };

Deno.bench({
  name: `nodemailer alone → SMTP sink: ${N.toLocaleString("en-US")} emails, ${CONNECTIONS} pooled connections`,
  group: "email throughput",
  baseline: true,
  n: 1,
  warmup: 0,
  async fn(b) {
    const count = calls.raw++ === 0 ? N : Math.min(N, 500);
    b.start();
    const ms = await rawNodemailer(sink, count);
    b.end();
    if (count === N) {
      rawRate = perSecond(N, ms);
      console.log(`\n  nodemailer alone: ${N} emails in ${(ms / 1000).toFixed(2)} s = ${rawRate} emails/s`);
    }
  },
});

Deno.bench({
  name: `Messenger run → SMTP sink: ${N.toLocaleString("en-US")} staff, one email each`,
  group: "email throughput",
  n: 1,
  warmup: 0,
  async fn(b) {
    const count = calls.messenger++ === 0 ? N : Math.min(N, 500);
    b.start();
    const f = await messenger(sink, count);
    b.end();
    if (count !== N) return;
    const rate = perSecond(N, f.ms);
    const phases = Object.entries(f.phases).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`).join(", ");
    console.log(
      `\n  Messenger: ${N} emails in ${(f.ms / 1000).toFixed(2)} s = ${rate} emails/s ` +
        `(sent ${f.sent}, received ${f.received}; ${phases}; KV ${IN_MEMORY ? "in memory" : "on disk"})`,
    );
    if (rawRate) console.log(`  Messenger / nodemailer alone: ${(rate / rawRate).toFixed(2)}`);
  },
});

globalThis.addEventListener("unload", () => void sink.close());
