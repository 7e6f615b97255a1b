/**
 * Worker: the Mailgun-compatible mock of the tests (tests/support/mailgun_mock.ts)
 * on 127.0.0.1, answering each send after its latency and posting signed
 * events to the webhook URL it is given, counting rather than keeping what
 * it took (100,000 rendered messages and their events would be hundreds of
 * MB). Started and asked through provider_workers.ts.
 */
import { type MailgunMock, startMailgunMock } from "../../tests/support/mailgun_mock.ts";
import { type MailgunStats, type MailgunWorkerOptions, serve, type WorkerScope } from "./provider_workers.ts";

let mock: MailgunMock | null = null;

serve(globalThis as unknown as WorkerScope, {
  start(options) {
    mock = startMailgunMock({ ...(options as MailgunWorkerOptions), keep: false });
    return { url: mock.url, apiKey: mock.apiKey, domain: mock.domain, signingKey: mock.signingKey };
  },
  /** Where events go from now on (the instance's PUBLIC_URL + /webhooks/mailgun); none while unset. */
  webhook(url) {
    mock!.webhookUrl = (url as string | undefined) ?? undefined;
  },
  stats(): MailgunStats {
    return {
      ...(mock?.counts ?? { calls: 0, recipients: 0, events: {}, answers: {} }),
      mostAtOnce: mock?.mostAtOnce ?? 0,
    };
  },
  // Events still on their way to a stopped instance fail at once (connection refused): close does not wait long.
  close: () => mock?.close(),
});
