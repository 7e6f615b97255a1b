/**
 * A test app whose texts and calls go through the official twilio client to
 * the Twilio mock, served on loopback so the mock's signed requests (status
 * callbacks, a call's TwiML, key presses) reach it.
 */
import { freePort } from "./child.ts";
import { buildProviders } from "../../services/providers/index.ts";
import type { Providers } from "../../services/providers/types.ts";
import { deliveriesOf, type Delivery } from "../../services/store/deliveries.ts";
import { dueJobIds, getJob } from "../../services/store/jobs.ts";
import type { Db } from "../../services/store/kv.ts";
import { getRun } from "../../services/store/runs.ts";
import type { Run } from "../../services/model.ts";
import { type TestApp, testApp } from "./app.ts";
import { startTwilioMock, type TwilioMock } from "./twilio_mock.ts";

/** TWILIO_FROM of these apps. */
export const TWILIO_FROM = "+16125550000";

export interface TwilioApp {
  t: TestApp & { url: string };
  mock: TwilioMock;
  close(): Promise<void>;
}

export async function twilioApp(): Promise<TwilioApp> {
  const mock = startTwilioMock();
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  let providers: Providers | undefined;
  const t = await testApp({
    providers: (db, clock) =>
      providers = buildProviders(db, clock, {
        // Twilio's default of one call a second would make each test wait a second per call.
        twilio: {
          accountSid: mock.accountSid,
          authToken: mock.authToken,
          from: TWILIO_FROM,
          apiBase: mock.url,
          cps: 100,
        },
      }),
    publicUrl: url,
    twilioAuthToken: mock.authToken,
    redial: { attempts: 2, intervalMs: 60_000 },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, t.app.fetch);
  return {
    t: { ...t, url },
    mock,
    async close() {
      await mock.release();
      await mock.close();
      await providers!.close();
      await server.shutdown();
      t.close();
    },
  };
}

export async function allDeliveries(db: Db, runId: string): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for await (const d of deliveriesOf(db, runId)) out.push(d.value);
  return out;
}

/** Runs the next due job: a run's first is Processing, which writes its deliveries. */
export async function runFirstJob(t: TestApp): Promise<void> {
  const [id] = await dueJobIds(t.db, Number.MAX_SAFE_INTEGER, 1);
  await t.dispatcher.runJob(id);
}

/** Dispatch and the mock's requests, in turn, moving the clock to each next job, until the run ends. */
export async function untilDone(t: TestApp, mock: TwilioMock, runId: string, rounds = 60): Promise<Run> {
  for (let i = 0; i < rounds; i++) {
    await t.dispatcher.drain();
    await mock.settled();
    const run = (await getRun(t.db, runId))!.value;
    if (run.status === "completed" || run.status === "canceled" || run.status === "failed") return run;
    const [id] = await dueJobIds(t.db, Number.MAX_SAFE_INTEGER, 1);
    const job = id ? await getJob(t.db, id) : null;
    t.clock.at = Math.max(t.clock.at + 1000, job?.value.leaseUntil ?? job?.value.dueAt ?? 0);
  }
  throw new Error(`run ${runId} did not finish`);
}
