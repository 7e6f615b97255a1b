import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import { startMailgunMock } from "../../tests/support/mailgun_mock.ts";
import { getPausedUntil } from "../store/allowance.ts";
import { buildProviders } from "./index.ts";
import { ProviderError } from "./types.ts";

const clock = { now: () => Date.now() };
const FROM = "Lincoln Elementary <office@lincoln.example>";
const mail = (n: number) => ({
  to: `parent${n}@families.example`,
  subject: `Note ${n}`,
  html: `<p>Note ${n}</p>`,
  text: `Note ${n}`,
  messageId: `<run-1.d${n}@messenger.demo>`,
});

Deno.test("Mailgun sends the email when configured, SMTP set or not: single emails and batches of up to 1,000", () =>
  withDb(async (db) => {
    const mock = startMailgunMock();
    const providers = buildProviders(db, clock, {
      smtp: { url: "smtp://127.0.0.1:9", from: FROM },
      mailgun: { apiKey: mock.apiKey, domain: mock.domain, apiBase: mock.url, from: FROM, concurrency: 3 },
    });
    try {
      assert.equal(providers.names.email, "mailgun");
      assert.equal(providers.concurrency.email, 3);
      assert.equal(providers.emailBatch?.max, 1000);
      const one = await providers.sendEmail({ ...mail(1), attachments: [] });
      const many = await providers.emailBatch!.send({
        items: [2, 3].map((n) => ({ ...mail(n), tags: { d: `d${n}` } })),
        attachments: [],
      });
      assert.equal(mock.batches.length, 2);
      assert.deepEqual(mock.batches.map((b) => b.from), [FROM, FROM]);
      assert.equal(one.providerId, mock.batches[0].id.slice(1, -1));
      assert.deepEqual(many.map((a) => a.providerId), [
        mock.batches[1].id.slice(1, -1),
        mock.batches[1].id.slice(1, -1),
      ]);
    } finally {
      await providers.close();
      await mock.close();
    }
  }));

Deno.test("a 429 answering a Mailgun batch pauses the whole email sender, as Retry-After asks", () =>
  withDb(async (db) => {
    const mock = startMailgunMock();
    const providers = buildProviders(db, clock, {
      mailgun: { apiKey: mock.apiKey, domain: mock.domain, apiBase: mock.url, from: FROM },
    });
    try {
      mock.failNext(1, 429, 30);
      const before = Date.now();
      await assert.rejects(
        providers.emailBatch!.send({ items: [{ ...mail(1), tags: {} }], attachments: [] }),
        (e) => e instanceof ProviderError && e.code === "429",
      );
      assert.ok(await getPausedUntil(db, "email") >= before + 30_000, "every instance reads the pause from KV");
    } finally {
      await providers.close();
      await mock.close();
    }
  }));

Deno.test("without Mailgun there is no batch sending", () =>
  withDb(async (db) => {
    const providers = buildProviders(db, clock, { smtp: { url: "smtp://127.0.0.1:9", from: FROM } });
    assert.equal(providers.names.email, "smtp");
    assert.equal(providers.emailBatch, undefined);
    await providers.close();
    assert.equal(buildProviders(db, clock, {}).emailBatch, undefined);
  }));
