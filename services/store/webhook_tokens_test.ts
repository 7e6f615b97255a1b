import assert from "node:assert/strict";
import { withDb } from "../../tests/support/fixtures.ts";
import { claimWebhookToken } from "./webhook_tokens.ts";

const TOKEN = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";

Deno.test("webhook tokens: claimed once, a replay is refused, another token is its own", () =>
  withDb(async (db) => {
    assert.equal(await claimWebhookToken(db, "mailgun", TOKEN, 60_000), true);
    assert.equal(await claimWebhookToken(db, "mailgun", TOKEN, 60_000), false);
    assert.equal(await claimWebhookToken(db, "mailgun", `${TOKEN}0`, 60_000), true);
    assert.equal(
      await claimWebhookToken({ ...db, districtId: "d2" }, "mailgun", TOKEN, 60_000),
      true,
      "each district has its own",
    );
  }));

Deno.test("webhook tokens: of fifty replays racing each other exactly one claims", () =>
  withDb(async (db) => {
    const claims = await Promise.all(Array.from({ length: 50 }, () => claimWebhookToken(db, "mailgun", TOKEN, 60_000)));
    assert.equal(claims.filter(Boolean).length, 1);
  }));

Deno.test("webhook tokens: stored under a hash, not as sent, and expiring", () =>
  withDb(async (db) => {
    await claimWebhookToken(db, "mailgun", TOKEN, 60_000);
    const keys = [];
    for await (const entry of db.kv.list({ prefix: [db.districtId, "webhook_tokens"] })) keys.push(entry.key);
    assert.equal(keys.length, 1);
    assert.ok(!JSON.stringify(keys).includes(TOKEN), JSON.stringify(keys));
    assert.equal(await claimWebhookToken(db, "mailgun", "short-lived", 30), true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await claimWebhookToken(db, "mailgun", "short-lived", 30), true, "claimable again once expired");
  }));
