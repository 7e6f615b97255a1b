import assert from "node:assert/strict";
import { bareMessageId, MailgunWebhook, readMailgunEvent } from "./mailgun_event.ts";

const ours = {
  "user-variables": { d: "demo", r: "RUN123456789", id: "gdn1~stu1~e" },
  message: { headers: { "message-id": "20261126.1.ABC@mg.example" } },
};

Deno.test("Mailgun events read as ours: each event's kind, the delivery its v: variables name, the bare Message-Id", () => {
  const kinds: [Record<string, unknown>, string][] = [
    [{ event: "accepted" }, "accepted"],
    [{ event: "delivered" }, "delivered"],
    [{ event: "failed", severity: "permanent" }, "bounced"],
    [{ event: "failed", severity: "temporary" }, "deferred"],
    [{ event: "failed" }, "bounced"],
    [{ event: "rejected" }, "bounced"],
    [{ event: "complained" }, "complained"],
    [{ event: "unsubscribed" }, "unsubscribed"],
    [{ event: "opened" }, "opened"],
    [{ event: "clicked" }, "clicked"],
  ];
  for (const [data, kind] of kinds) {
    const read = readMailgunEvent({ ...ours, ...data } as never);
    assert.equal(read?.event.kind, kind, JSON.stringify(data));
    assert.deepEqual([read!.districtId, read!.runId, read!.deliveryId], ["demo", "RUN123456789", "gdn1~stu1~e"]);
    assert.equal(read!.event.providerId, "20261126.1.ABC@mg.example");
  }
  assert.equal(bareMessageId("<20261126.1.ABC@mg.example>"), "20261126.1.ABC@mg.example");
});

Deno.test("a bounce keeps the server's code and words; a suppressed address says why Mailgun did not send", () => {
  const status = { code: 550, message: "5.1.1 The email account that you tried to reach does not exist" };
  const bounce = readMailgunEvent({ ...ours, event: "failed", severity: "permanent", "delivery-status": status });
  assert.deepEqual([bounce?.event.code, bounce?.event.reason], ["550", status.message]);
  const suppressed = readMailgunEvent({ ...ours, event: "failed", severity: "permanent", reason: "suppress-bounce" });
  assert.match(suppressed!.event.reason!, /bounced before/);
});

Deno.test("an event that is not about one of our emails, or of a kind we do not know, reads as nothing", () => {
  assert.equal(readMailgunEvent({ ...ours, event: "stored" }), null);
  assert.equal(readMailgunEvent({ ...ours, event: "constructor" }), null, "no Object.prototype keys");
  assert.equal(readMailgunEvent({ event: "delivered", message: ours.message }), null, "no v: variables");
  assert.equal(readMailgunEvent({ event: "delivered", "user-variables": ours["user-variables"] }), null);
  const numeric = { ...ours, "user-variables": { d: 1, r: "RUN123456789", id: "x" } };
  assert.equal(readMailgunEvent({ ...numeric, event: "delivered" }), null);
  // The webhook's shape: a signature and the event data, nothing else accepted as one.
  assert.equal(MailgunWebhook.safeParse({ "event-data": { event: "delivered" } }).success, false);
  assert.equal(MailgunWebhook.safeParse([]).success, false);
});
