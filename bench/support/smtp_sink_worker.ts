/**
 * Worker: an SMTP server on 127.0.0.1 that drains each message and counts
 * it (parsing every message would make the sink the bottleneck). Started and
 * asked through provider_workers.ts.
 */
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { SMTPServer } from "smtp-server";
import { serve, type WorkerScope } from "./provider_workers.ts";

let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream: Readable, _session: unknown, callback: (err?: Error) => void) {
    stream.on("data", () => {});
    // Counted before the 250 reply: once a sender has its answer, the count includes it.
    stream.on("end", () => {
      received++;
      callback();
    });
  },
});
// A client that goes away mid-message (an instance being stopped) is not the sink's trouble.
server.on("error", () => {});
// Replies without Nagle's delay, as the senders' sockets do.
server.server.on("connection", (socket: Socket) => socket.setNoDelay(true));

serve(globalThis as unknown as WorkerScope, {
  async start() {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.server.address() as { port: number }).port };
  },
  received: () => received,
  close: () => new Promise<void>((resolve) => server.close(() => resolve())),
});
