/**
 * Email over SMTP with nodemailer's pool. The pool's sockets set
 * TCP_NODELAY: without it Nagle's algorithm and delayed ACKs cap a
 * connection at about 20 messages a second (see BRIEF.md). Each message is
 * composed by mime.ts and handed to the pool ready-made; a message's
 * attachments are encoded once for all its recipients.
 */
import net from "node:net";
import nodemailer from "nodemailer";
import { attachmentParts, composeEmail } from "./mime.ts";
import { type Accepted, type EmailOut, ProviderError } from "./types.ts";

export interface SmtpOptions {
  url: string;
  from: string;
  maxConnections?: number;
}

interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
  code?: string;
}

/** nodemailer's `getSocket`: a plain TCP socket with Nagle's algorithm off. */
export function noDelaySocket(
  opts: { host?: string; port?: number },
  callback: (err: Error | null, socket?: { connection: net.Socket }) => void,
) {
  const socket = net.connect({ host: opts.host, port: opts.port ?? 25 });
  socket.setNoDelay(true);
  socket.once("connect", () => callback(null, { connection: socket }));
  socket.once("error", (err) => callback(err));
}

export function smtpEmail(options: SmtpOptions) {
  const transport = nodemailer.createTransport(
    {
      url: options.url,
      pool: true,
      maxConnections: options.maxConnections ?? 10,
      maxMessages: Infinity,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      getSocket: noDelaySocket,
    } as Parameters<typeof nodemailer.createTransport>[0],
  );

  // Dispatch hands every delivery of a send shard the same attachments array: encoded once per shard.
  const encoded = new WeakMap<EmailOut["attachments"], string[]>();
  const partsOf = (attachments: EmailOut["attachments"]) => {
    let parts = encoded.get(attachments);
    if (!parts) encoded.set(attachments, parts = attachmentParts(attachments));
    return parts;
  };

  return {
    async send(mail: EmailOut): Promise<Accepted> {
      try {
        const info = await transport.sendMail(composeEmail(options.from, mail, partsOf(mail.attachments)));
        return { providerId: mail.messageId, status: String(info.response ?? "accepted"), final: "sent" };
      } catch (e) {
        const err = e as SmtpError;
        // 5xx is the server's final word on this address; 4xx and network trouble pass.
        const permanent = typeof err.responseCode === "number" && err.responseCode >= 500;
        throw new ProviderError(err.response ?? err.message, permanent, String(err.responseCode ?? err.code ?? ""));
      }
    },
    close(): Promise<void> {
      transport.close();
      return Promise.resolve();
    },
  };
}
