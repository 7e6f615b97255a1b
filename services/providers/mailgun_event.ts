/**
 * Mailgun's webhook payload (`{ signature, "event-data" }`) read into the
 * email event dispatch applies, and the delivery its v: variables name.
 * Anything that is not an event about one of our emails reads as null.
 */
import { z } from "zod";
import type { EmailEvent } from "../dispatch/email_events.ts";

export const MailgunSignature = z.object({
  timestamp: z.string().max(20),
  token: z.string().min(1).max(200),
  signature: z.string().max(200),
});

const EventData = z.object({
  event: z.string().max(40),
  severity: z.string().max(20).optional(),
  reason: z.string().max(100).optional(),
  "delivery-status": z.object({
    code: z.union([z.number(), z.string()]).optional(),
    message: z.string().max(2000).optional(),
    description: z.string().max(2000).optional(),
  }).partial().optional(),
  "user-variables": z.record(z.string(), z.unknown()).optional(),
  message: z.object({ headers: z.object({ "message-id": z.string().max(300).optional() }).partial() }).partial()
    .optional(),
});

export const MailgunWebhook = z.object({ signature: MailgunSignature, "event-data": EventData });
export type MailgunWebhook = z.infer<typeof MailgunWebhook>;

export interface MailgunEvent {
  districtId: string;
  runId: string;
  deliveryId: string;
  event: EmailEvent;
}

/** Mailgun's API answers an id in angle brackets; its events carry the bare Message-Id. */
export function bareMessageId(id: string): string {
  return id.replace(/^<(.*)>$/, "$1");
}

const KINDS: Record<string, EmailEvent["kind"]> = {
  accepted: "accepted",
  delivered: "delivered",
  complained: "complained",
  unsubscribed: "unsubscribed",
  opened: "opened",
  clicked: "clicked",
  // Mailgun would not send it (an address on its suppression lists): as final as a bounce.
  rejected: "bounced",
};

const Tag = z.string().min(1).max(200);

export function readMailgunEvent(data: MailgunWebhook["event-data"]): MailgunEvent | null {
  const kind = data.event === "failed"
    ? (data.severity === "temporary" ? "deferred" : "bounced")
    : Object.hasOwn(KINDS, data.event)
    ? KINDS[data.event]
    : undefined;
  const vars = data["user-variables"] ?? {};
  const [d, r, id] = [vars.d, vars.r, vars.id].map((v) => Tag.safeParse(v).data);
  const messageId = data.message?.headers?.["message-id"];
  if (!kind || !d || !r || !id || !messageId) return null;
  const status = data["delivery-status"] ?? {};
  const code = status.code === undefined || status.code === "" ? undefined : String(status.code);
  const words = status.description || status.message || undefined;
  const reason = data.reason === "suppress-bounce"
    ? "Mailgun did not send it: this address bounced before"
    : data.reason === "suppress-complaint"
    ? "Mailgun did not send it: this address marked an earlier email as spam"
    : words;
  return {
    districtId: d,
    runId: r,
    deliveryId: id,
    event: { kind, providerId: bareMessageId(messageId), code, reason },
  };
}
