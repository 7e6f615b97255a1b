/** Hostile values in the places a probe found 500s: page cursors, Sent dates, Twilio's callback ids. */
import assert from "node:assert/strict";
import { signedIn, testApp } from "./support/app.ts";
import { twilioSignature } from "../services/providers/twilio_signature.ts";

const CURSORS = ["-1", "0", "1e9", "3.5", "NaN", "__proto__", "2026-01-01", "AQ", "_", "x".repeat(600), "😀"];

Deno.test("a cursor KV does not know is 400 with the field named, on every paged list", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const lists = ["/runs/R9M4T6HA3E7S/recipients", "/outbox", "/sent", "/messages", "/messages?tab=in-progress"];
  for (const list of lists) {
    for (const cursor of CURSORS) {
      const res = await admin.get(`${list}${list.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`);
      assert.equal(res.status, 400, `${list} cursor=${cursor.slice(0, 10)}`);
      assert.match(await res.text(), /cursor|page link/, list);
    }
    const repeated = await admin.get(`${list}${list.includes("?") ? "&" : "?"}cursor=a&cursor=b`);
    assert.ok(repeated.status < 500, `${list} with two cursors`);
    await repeated.body?.cancel();
  }
  t.close();
});

Deno.test("Sent: a date outside 1900–2199, or one that does not exist, is 400 next to its field", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  for (const field of ["from", "to"]) {
    for (const date of ["9999-12-31", "0001-01-01", "+275760-09-13", "2026-02-30"]) {
      const res = await admin.get(`/sent?${field}=${encodeURIComponent(date)}`);
      assert.equal(res.status, 400, `${field}=${date}`);
      assert.match(await res.text(), /enter a date between 1900 and 2199/);
    }
  }
  const fine = await admin.get("/sent?from=2026-01-01&to=2199-12-31");
  assert.equal(fine.status, 200);
  await fine.body?.cancel();
  t.close();
});

Deno.test("a signed Twilio status callback with a huge or odd r or id is answered without a 500 and changes nothing", async () => {
  const token = "test-auth-token-0123456789";
  const t = await testApp({ twilioAuthToken: token });
  const before = await Array.fromAsync(t.db.kv.list({ prefix: [] }));
  const params = { MessageSid: "SM0123", MessageStatus: "delivered" };
  for (
    const [r, id] of [["x".repeat(3000), "d1"], ["R9M4T6HA3E7S", "😀".repeat(800)], ["😀", "😀"], ["__proto__", "a"]]
  ) {
    const path = `/webhooks/twilio/status?r=${encodeURIComponent(r)}&m=text&id=${encodeURIComponent(id)}`;
    const res = await t.app.request(path, {
      method: "POST",
      body: new URLSearchParams(params),
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilioSignature(token, `http://127.0.0.1:9${path}`, params),
      },
    });
    assert.ok(res.status < 500, `r=${r.slice(0, 8)} id=${id.slice(0, 8)}: ${res.status}`);
    await res.body?.cancel();
  }
  const after = await Array.fromAsync(t.db.kv.list({ prefix: [] }));
  assert.deepEqual(after.map((e) => e.versionstamp), before.map((e) => e.versionstamp));
  t.close();
});
