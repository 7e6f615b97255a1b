/**
 * The Mailgun provider against the Mailgun-compatible mock on loopback: what
 * each recipient receives as Mailgun renders it, the calls a batch becomes,
 * Mailgun's refusals as ProviderErrors, and the events coming back.
 */
import { freePort } from "../../tests/support/child.ts";
import assert from "node:assert/strict";
import { type MailgunMock, type MailgunMockOptions, startMailgunMock } from "../../tests/support/mailgun_mock.ts";
import { mailgunEmail, type MailgunOptions } from "./mailgun.ts";
import { verifyMailgunSignature } from "./mailgun_signature.ts";
import { BatchPartlyAccepted, type EmailBatch, type EmailBatchItem, type EmailOut, ProviderError } from "./types.ts";

const FROM = "Lincoln Elementary <office@lincoln.example>";

async function withMailgun(
  fn: (mock: MailgunMock, client: ReturnType<typeof mailgunEmail>) => Promise<void>,
  options: { mock?: MailgunMockOptions; client?: Partial<MailgunOptions> } = {},
) {
  const mock = startMailgunMock(options.mock);
  const client = mailgunEmail({
    apiKey: mock.apiKey,
    domain: mock.domain,
    apiBase: mock.url,
    from: FROM,
    ...options.client,
  });
  try {
    await fn(mock, client);
  } finally {
    await client.close();
    await mock.close();
  }
}

function item(n: number, to = `parent${n}@families.example`): EmailBatchItem {
  return {
    to,
    subject: `Field trip for Student ${n}`,
    html: `<p>Dear Parent ${n}, sign <b>Student ${n}</b>'s slip.</p>`,
    text: `Dear Parent ${n}, sign Student ${n}'s slip.`,
    messageId: `<run-1.delivery-${n}@messenger.demo>`,
    tags: { r: "run-1", d: `delivery-${n}` },
  };
}

const batchOf = (items: EmailBatchItem[], attachments: EmailOut["attachments"] = []): EmailBatch => ({
  items,
  attachments,
});

/** The message id Mailgun's answer gave a call, as events carry it (no angle brackets). */
const idOf = (mock: MailgunMock, call: number) => mock.batches[call].id.slice(1, -1);

Deno.test("a batch of 1,000 is one call; each recipient gets their own subject, bodies and ids, and only their address", () =>
  withMailgun(async (mock, client) => {
    const items = Array.from({ length: 1000 }, (_, n) => item(n));
    const accepted = await client.sendBatch(batchOf(items));
    assert.equal(mock.batches.length, 1);
    assert.equal(mock.delivered.length, 1000);
    for (const n of [0, 1, 417, 998, 999]) {
      const got = mock.delivered.find((d) => d.to === items[n].to)!;
      assert.equal(got.subject, `Field trip for Student ${n}`);
      assert.equal(got.html, `<p>Dear Parent ${n}, sign <b>Student ${n}</b>'s slip.</p>`);
      assert.equal(got.text, `Dear Parent ${n}, sign Student ${n}'s slip.`);
      assert.deepEqual(got.userVariables, { r: "run-1", d: `delivery-${n}` });
      assert.equal(got.toHeader, items[n].to, "nobody sees the other recipients");
      assert.equal(got.from, FROM);
    }
    assert.equal(accepted.length, 1000);
    assert.ok(accepted.every((a) => a.providerId === idOf(mock, 0) && a.status === "Queued. Thank you." && !a.final));
    assert.deepEqual(mock.batches[0].fields["o:tracking-opens"], ["yes"], "opens tracked, so opened events exist");
    assert.deepEqual(mock.batches[0].fields["o:tracking"], ["yes"]);
  }));

Deno.test("a field every recipient shares is sent as it is, not through recipient variables", () =>
  withMailgun(async (mock, client) => {
    const items = [0, 1, 2].map((n) => ({ ...item(n), subject: "Bus delay", text: "The bus is late." }));
    await client.sendBatch(batchOf(items));
    const { fields, recipientVariables } = mock.batches[0];
    assert.deepEqual(fields.subject, ["Bus delay"]);
    assert.deepEqual(fields.text, ["The bus is late."]);
    assert.deepEqual(fields["v:r"], ["run-1"], "a tag every item has the same is sent as it is too");
    assert.match(fields.html[0], /^%recipient\.\w+%$/, "the html differs: per recipient");
    assert.match(fields["v:d"][0], /^%recipient\.\w+%$/);
    const values = JSON.stringify(recipientVariables);
    assert.ok(!values.includes("Bus delay") && !values.includes("run-1"), values);
    assert.deepEqual(
      mock.delivered.map((d) => [d.subject, d.text, d.html, d.userVariables.d]),
      items.map((i) => ["Bus delay", "The bus is late.", i.html, i.tags.d]),
    );

    const same = [5, 6].map((n) => ({ ...item(0), to: `parent${n}@families.example`, tags: { r: "run-2" } }));
    await client.sendBatch(batchOf(same));
    assert.ok(Object.values(mock.batches[1].fields).flat().every((v) => !v.includes("%recipient")));
    assert.deepEqual(
      mock.delivered.slice(3).map((d) => d.toHeader),
      same.map((i) => i.to),
      "recipient variables even when nothing differs: else each sees every recipient",
    );
  }));

Deno.test("the same address twice in a batch goes in separate calls; each copy arrives with its own content, answers in order", () =>
  withMailgun(async (mock, client) => {
    const shared = "okafor@families.example";
    const items = [item(0, shared), item(1), item(2, shared), item(3), item(4, "Okafor@Families.example")];
    const accepted = await client.sendBatch(batchOf(items));
    assert.equal(mock.batches.length, 3, "one address per call, case aside");
    for (const [n, copy] of items.entries()) {
      const got = mock.delivered.filter((d) => d.to === copy.to && d.subject === copy.subject);
      assert.equal(got.length, 1, `copy ${n} arrived once`);
      assert.deepEqual(got[0].userVariables, copy.tags);
      assert.equal(accepted[n].providerId, idOf(mock, got[0].call), `answer ${n} is its own call's`);
    }
    assert.equal(new Set(accepted.map((a) => a.providerId)).size, 3);
  }));

Deno.test("more than 1,000 items are split into calls of at most 1,000, answers in order", () =>
  withMailgun(async (mock, client) => {
    const items = Array.from({ length: 2500 }, (_, n) => item(n));
    const accepted = await client.sendBatch(batchOf(items));
    assert.deepEqual(mock.batches.map((b) => b.to.length).sort(), [1000, 1000, 500]);
    assert.equal(mock.delivered.length, 2500);
    for (const n of [0, 999, 1000, 2499]) {
      const got = mock.delivered.find((d) => d.to === items[n].to)!;
      assert.equal(got.subject, items[n].subject);
      assert.equal(accepted[n].providerId, idOf(mock, got.call));
    }
  }));

Deno.test("attachments go once per call, with their names, types and exact bytes", () =>
  withMailgun(async (mock, client) => {
    const pdf = new TextEncoder().encode("%PDF-1.1\n% slip\n");
    const png = Uint8Array.from({ length: 256 }, (_, i) => i); // every byte value, none of it text
    const attachments = [
      { filename: "permission-slip.pdf", contentType: "application/pdf", content: pdf },
      { filename: "map.png", contentType: "image/png", content: png },
    ];
    const shared = "okafor@families.example";
    await client.sendBatch(batchOf([item(0, shared), item(1), item(2, shared)], attachments));
    assert.equal(mock.batches.length, 2);
    for (const call of mock.batches) {
      assert.deepEqual(
        call.attachments.map((a) => [a.filename, a.contentType, [...a.bytes]]),
        [["permission-slip.pdf", "application/pdf", [...pdf]], ["map.png", "image/png", [...png]]],
      );
    }
    assert.ok(mock.delivered.every((d) => d.attachments.length === 2));
  }));

Deno.test("one email (a sign-in link): a batch of one with our Message-ID, not tracked, so its link stays ours", () =>
  withMailgun(async (mock, client) => {
    const { tags: _, ...one } = item(7);
    const accepted = await client.send({ ...one, attachments: [] });
    assert.deepEqual(mock.batches[0].fields["h:Message-Id"], [one.messageId]);
    for (const option of ["o:tracking", "o:tracking-opens", "o:tracking-clicks"]) {
      assert.deepEqual(mock.batches[0].fields[option], ["no"], option);
    }
    assert.equal(mock.delivered.length, 1);
    assert.equal(mock.delivered[0].subject, one.subject);
    assert.equal(mock.delivered[0].text, one.text);
    assert.equal(accepted.providerId, idOf(mock, 0));
    assert.equal(accepted.final, undefined, "Mailgun's events decide");
  }));

Deno.test("General email: each recipient's own List-Unsubscribe through recipient variables; a body differing only by the link goes once", () =>
  withMailgun(async (mock, client) => {
    const link = (n: number) => `https://messenger.example.org/unsubscribe/gdn-${n}/email/${String(n).repeat(43)}`;
    const items = [0, 1, 2].map((n) => ({
      ...item(n),
      subject: "Book fair",
      html: `<p>Come to the book fair.</p>\n<hr>\n<p><a href="${link(n)}">Unsubscribe</a></p>`,
      text: `Come to the book fair.\n\nUnsubscribe: ${link(n)}`,
      unsubscribeUrl: link(n),
    }));
    await client.sendBatch(batchOf(items));
    // A form's text fields go with CRLF line ends, as email has them.
    const lf = (s?: string) => s?.replaceAll("\r\n", "\n");
    const { fields, recipientVariables } = mock.batches[0];
    assert.deepEqual(fields["h:List-Unsubscribe"], ["<%recipient.unsubscribe%>"]);
    assert.deepEqual(fields["h:List-Unsubscribe-Post"], ["List-Unsubscribe=One-Click"]);
    assert.equal(
      lf(fields.html[0]),
      `<p>Come to the book fair.</p>\n<hr>\n<p><a href="%recipient.unsubscribe%">Unsubscribe</a></p>`,
    );
    assert.equal(lf(fields.text[0]), "Come to the book fair.\n\nUnsubscribe: %recipient.unsubscribe%");
    const own = recipientVariables![items[1].to];
    assert.equal(own.unsubscribe, link(1));
    assert.ok(!("subject" in own || "html" in own || "text" in own), "no body per recipient");
    for (const [n, sent] of items.entries()) {
      const got = mock.delivered.find((d) => d.to === sent.to)!;
      assert.equal(got.headers["List-Unsubscribe"], `<${link(n)}>`, "their own link, nobody else's");
      assert.equal(got.headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
      assert.equal(lf(got.html), sent.html);
      assert.equal(lf(got.text), sent.text);
    }

    // Bodies that differ beyond the link go per recipient, whole, the link in them as it is.
    const merged = items.map((i, n) => ({ ...i, text: `Dear Parent ${n}.\n\nUnsubscribe: ${link(n)}` }));
    await client.sendBatch(batchOf(merged));
    assert.match(mock.batches[1].fields.text[0], /^%recipient\.text%$/);
    assert.deepEqual(mock.delivered.slice(3).map((d) => lf(d.text)), merged.map((i) => i.text));
    assert.deepEqual(
      mock.delivered.slice(3).map((d) => d.headers["List-Unsubscribe"]),
      items.map((_, n) => `<${link(n)}>`),
    );
  }));

Deno.test("Priority and Emergency email (no unsubscribe link): no List-Unsubscribe; a batch mixing the two is refused unsent", () =>
  withMailgun(async (mock, client) => {
    await client.sendBatch(batchOf([item(0), item(1)]));
    assert.ok(Object.keys(mock.batches[0].fields).every((f) => !f.startsWith("h:List-")));
    assert.ok(mock.delivered.every((d) => Object.keys(d.headers).length === 0));
    const mixed = [item(2), { ...item(3), unsubscribeUrl: "https://messenger.example.org/unsubscribe/a/b/c" }];
    await assert.rejects(client.sendBatch(batchOf(mixed)), TypeError);
    assert.equal(mock.batches.length, 1);
  }));

/** The ProviderError `send` rejects with. */
async function refusal(send: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await send();
  } catch (e) {
    assert.ok(e instanceof ProviderError, String(e));
    return e;
  }
  throw new Error("accepted, expected a refusal");
}

Deno.test("Mailgun's refusals: 400 permanent in its words, 401/404 permanent naming the settings, 429 and 500 passing", () =>
  withMailgun(async (mock, client) => {
    const batch = batchOf([item(1), item(2)]);
    mock.failNext(1, 400);
    const bad = await refusal(() => client.sendBatch(batch));
    assert.deepEqual([bad.permanent, bad.code], [true, "400"]);
    assert.equal(bad.message, "'to' parameter is not a valid address. please check documentation");

    mock.failNext(1, 401);
    const key = await refusal(() => client.sendBatch(batch));
    assert.deepEqual([key.permanent, key.code], [true, "401"]);
    assert.match(key.message, /MAILGUN_API_KEY/);

    mock.failNext(1, 429, 7);
    const busy = await refusal(() => client.sendBatch(batch));
    assert.deepEqual([busy.permanent, busy.code, busy.retryAfter], [false, "429", 7]);
    mock.failNext(1, 429);
    assert.equal((await refusal(() => client.sendBatch(batch))).retryAfter, undefined, "no Retry-After, none made up");

    mock.failNext(1, 500);
    const down = await refusal(() => client.sendBatch(batch));
    assert.deepEqual([down.permanent, down.code], [false, "500"]);
    assert.equal(mock.batches.length, 0, "nothing was accepted");
    await client.sendBatch(batch);
    assert.equal(mock.batches.length, 1, "and then it was");
  }));

Deno.test("a wrong API key or domain is a permanent refusal that says which settings to check", () =>
  withMailgun(async (mock) => {
    for (const wrong of [{ apiKey: "key-not-the-right-one-00000" }, { domain: "mg.elsewhere.example" }]) {
      const client = mailgunEmail({
        apiKey: mock.apiKey,
        domain: mock.domain,
        apiBase: mock.url,
        from: FROM,
        ...wrong,
      });
      const e = await refusal(() => client.sendBatch(batchOf([item(1)])));
      assert.equal(e.permanent, true);
      assert.match(e.message, /MAILGUN_API_KEY and MAILGUN_DOMAIN.*api\.eu\.mailgun\.net/);
      await client.close();
    }
  }));

Deno.test("Mailgun out of reach is a passing failure", async () => {
  const port = freePort();
  const client = mailgunEmail({ apiKey: "k", domain: "mg.x.example", apiBase: `http://127.0.0.1:${port}`, from: FROM });
  const e = await refusal(() => client.send({ ...item(1), attachments: [] }));
  assert.deepEqual([e.permanent, e.code], [false, "network"]);
  await client.close();
});

Deno.test("a split batch refused in part says which items were accepted; refused whole it is a plain refusal", () =>
  withMailgun(async (mock, client) => {
    const shared = "okafor@families.example";
    const items = [item(0, shared), item(1), item(2, shared)];
    mock.failNext(1, 500); // The first call (items 0 and 1) is refused, the second (item 2) accepted.
    const partly = await refusal(() => client.sendBatch(batchOf(items)));
    assert.ok(partly instanceof BatchPartlyAccepted);
    const [first, second, third] = partly.outcomes;
    assert.ok(first instanceof ProviderError && second instanceof ProviderError);
    assert.ok(!(third instanceof ProviderError) && third.providerId === idOf(mock, 0));
    assert.deepEqual(mock.delivered.map((d) => d.subject), [items[2].subject]);
    assert.deepEqual([partly.permanent, partly.code], [false, "500"]);

    mock.failNext(2, 429, 3);
    const whole = await refusal(() => client.sendBatch(batchOf(items)));
    assert.ok(!(whole instanceof BatchPartlyAccepted));
    assert.deepEqual([whole.code, whole.retryAfter], ["429", 3]);
  }, { client: { concurrency: 1 } }));

Deno.test("never more calls in flight than the concurrency, however many sends and batches", () =>
  withMailgun(async (mock, client) => {
    const shared = "okafor@families.example";
    await Promise.all([
      client.sendBatch(batchOf([item(0, shared), item(1, shared), item(2, shared)])),
      ...[3, 4, 5].map((n) => client.send({ ...item(n), attachments: [] })),
    ]);
    assert.equal(mock.batches.length, 6);
    assert.equal(mock.mostAtOnce, 2);
  }, { mock: { latencyMs: 20 }, client: { concurrency: 2 } }));

Deno.test("close waits for the send in flight; one waiting its turn, and any after, are refused unsent", () =>
  withMailgun(async (mock, client) => {
    let answered = false;
    const sending = client.send({ ...item(1), attachments: [] }).then(() => (answered = true));
    const waiting = refusal(() => client.send({ ...item(2), attachments: [] }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await client.close();
    assert.equal(answered, true, "the send in flight finished first");
    await sending;
    assert.equal((await waiting).code, "closed");
    const late = await refusal(() => client.send({ ...item(3), attachments: [] }));
    assert.equal(late.permanent, false, "another instance can send it");
    assert.deepEqual(mock.delivered.map((d) => d.to), [item(1).to]);
  }, { mock: { latencyMs: 50 }, client: { concurrency: 1 } }));

Deno.test("tag names that are not plain are refused before anything is sent", () =>
  withMailgun(async (mock, client) => {
    const items = [item(0), { ...item(1), tags: { "run id": "x" } }];
    await assert.rejects(client.sendBatch(batchOf(items)), TypeError);
    assert.equal(mock.batches.length, 0);
  }));

Deno.test("events come back signed, each recipient's with its own ids; bounces, complaints and opens as scripted", async () => {
  const received: { verified: boolean; data: Record<string, unknown> }[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    received.push({
      verified: verifyMailgunSignature(mock.signingKey, body.signature, Date.now()),
      data: body["event-data"],
    });
    return new Response("ok");
  });
  const mock = startMailgunMock({ webhookUrl: `http://127.0.0.1:${receiver.addr.port}/webhooks/mailgun` });
  const client = mailgunEmail({ apiKey: mock.apiKey, domain: mock.domain, apiBase: mock.url, from: FROM });
  try {
    const items = [0, 1, 2, 3, 4].map((n) => item(n));
    mock.bounce.add(items[1].to);
    mock.tempfail.add(items[2].to);
    mock.complain.add(items[3].to);
    mock.open.add(items[4].to);
    await client.sendBatch(batchOf(items));
    await mock.settled();
    assert.ok(received.every((r) => r.verified), "every event is signed with the signing key");
    const story = (n: number) =>
      received.filter((r) => (r.data["user-variables"] as Record<string, string>).d === `delivery-${n}`)
        .map((r) => [r.data.event, r.data.severity, (r.data["delivery-status"] as { code?: number })?.code]);
    assert.deepEqual(story(0), [["accepted", undefined, undefined], ["delivered", undefined, 250]]);
    assert.deepEqual(story(1), [["accepted", undefined, undefined], ["failed", "permanent", 550]]);
    assert.deepEqual(story(2), [["accepted", undefined, undefined], ["failed", "temporary", 451]]);
    assert.deepEqual(story(3), [["accepted", undefined, undefined], ["delivered", undefined, 250], [
      "complained",
      undefined,
      undefined,
    ]]);
    assert.deepEqual(story(4), [["accepted", undefined, undefined], ["delivered", undefined, 250], [
      "opened",
      undefined,
      undefined,
    ]]);
    const bounced = received.find((r) => r.data.event === "failed" && r.data.severity === "permanent")!.data;
    assert.equal(bounced.recipient, items[1].to);
    assert.match(JSON.stringify(bounced["delivery-status"]), /5\.1\.1 The email account that you tried to reach/);
    assert.equal((bounced.message as { headers: Record<string, string> }).headers["message-id"], idOf(mock, 0));

    const before = received.length;
    const event = { event: "delivered", recipient: items[0].to, "user-variables": items[0].tags };
    await mock.postEvent(event, { signingKey: "not-the-signing-key-0000" });
    await mock.postEvent(event, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) });
    await mock.postEvent(event, { token: "t".repeat(50), timestamp: String(Math.floor(Date.now() / 1000)) });
    assert.deepEqual(received.slice(before).map((r) => r.verified), [false, false, true], "forged, stale, good");
    assert.equal(mock.posted.length, received.length);
  } finally {
    await client.close();
    await mock.close();
    await receiver.shutdown();
  }
});
