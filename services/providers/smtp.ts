/**
 * Email over SMTP with nodemailer's pool. The pool's sockets set
 * TCP_NODELAY: without it Nagle's algorithm and delayed ACKs cap a
 * connection at about 20 messages a second (see BRIEF.md).
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import nodemailer from "nodemailer";
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

  return {
    async send(mail: EmailOut): Promise<Accepted> {
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: mail.to,
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          messageId: mail.messageId,
          attachments: mail.attachments.map((a) => ({
            filename: a.filename,
            contentType: a.contentType,
            content: Buffer.from(a.content),
          })),
        });
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
