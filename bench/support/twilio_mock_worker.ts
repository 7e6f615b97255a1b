/**
 * Worker: the Twilio-compatible mock of the tests (tests/support/twilio_mock.ts)
 * on 127.0.0.1, answering each create after its latency and posting signed
 * "sent" then "delivered" callbacks to the StatusCallback URL. Started and
 * asked through provider_workers.ts.
 */
import { startTwilioMock, type TwilioMock, type TwilioMockOptions } from "../../tests/support/twilio_mock.ts";
import { serve, type TwilioStats, type WorkerScope } from "./provider_workers.ts";

let mock: TwilioMock | null = null;

serve(globalThis as unknown as WorkerScope, {
  start(options) {
    mock = startTwilioMock(undefined, options as TwilioMockOptions);
    return { url: mock.url, accountSid: mock.accountSid, authToken: mock.authToken };
  },
  stats(): TwilioStats {
    const byCallbackPort: Record<string, number> = {};
    for (const s of mock?.sent ?? []) {
      const port = s.statusCallback ? new URL(s.statusCallback).port : "none";
      byCallbackPort[port] = (byCallbackPort[port] ?? 0) + 1;
    }
    return { creates: mock?.sent.length ?? 0, callbacksPosted: mock?.callbacksPosted ?? 0, byCallbackPort };
  },
  // Callbacks still on their way to a stopped instance fail at once (connection refused): close does not wait long.
  close: () => mock?.close(),
});
