/** A real SMTP server on loopback that keeps every message it receives, parsed. */
import type { Readable } from "node:stream";
import { SMTPServer } from "smtp-server";
import { type ParsedMail, simpleParser } from "mailparser";

export interface Sink {
  port: number;
  url: string;
  messages: ParsedMail[];
  /** Refuse RCPT TO for these addresses with a permanent 550. */
  reject: Set<string>;
  /** …and for every address this says yes to. */
  rejectWhen: ((address: string) => boolean) | null;
  close(): Promise<void>;
}

export async function startSink(port = 0): Promise<Sink> {
  const messages: ParsedMail[] = [];
  const reject = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address: { address: string }, _session: unknown, callback: (err?: Error) => void) {
      if (reject.has(address.address) || sink.rejectWhen?.(address.address)) {
        const err = new Error("5.1.1 No such user here") as Error & { responseCode: number };
        err.responseCode = 550;
        return callback(err);
      }
      callback();
    },
    onData(stream: Readable, _session: unknown, callback: (err?: Error) => void) {
      simpleParser(stream).then((mail) => {
        messages.push(mail);
        callback();
      }, callback);
    },
  });
  // A client killed mid-message resets its connection: that is the client's trouble, not the sink's.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.server.address() as { port: number }).port;
  const sink: Sink = {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    messages,
    reject,
    rejectWhen: null,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return sink;
}
