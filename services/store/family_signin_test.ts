/**
 * Family sign-in under tries sent at once, on a real in-memory KV: each use of a link or code and each request
 * counted against a limit is a checked commit, so racing them must give the same counts as sending them in a row.
 * Links and codes come from requestFamilySignIn itself, read from what it sent.
 */
import assert from "node:assert/strict";
import { Background } from "../background.ts";
import { withDb } from "../../tests/support/fixtures.ts";
import {
  MAX_CODE_TRIES,
  requestFamilySignIn,
  SIGN_IN_TTL_MS,
  type SignInAddress,
  type SignInContext,
  useSignInCode,
  useSignInToken,
} from "../family_signin.ts";
import type { Person } from "../model.ts";
import type { EmailOut, TextOut } from "../providers/types.ts";
import { countCodeTry, getSignInRequest, sha256, takeRequestAllowance } from "./family_signin.ts";
import type { Db } from "./kv.ts";
import { savePerson } from "./people.ts";

const NOW = Date.parse("2026-11-26T16:00:00Z");
const EMAIL = "ada.okafor@mail.example";
const PHONE = "+16125550101";

const GUARDIAN: Person = {
  id: "gdn1",
  kind: "guardian",
  firstName: "Ada",
  lastName: "Okafor",
  schoolIds: ["lincoln"],
  studentIds: ["stu1"],
  devices: [
    { id: "email", kind: "email", address: EMAIL, text: false, general: true, priority: true, emergency: true },
    { id: "mobile", kind: "phone", address: PHONE, text: true, general: true, priority: true, emergency: true },
  ],
};

/** Asks for a sign-in at `to` the way the form does, with these providers; the code request's id for a phone. */
async function ask(db: Db, to: SignInAddress, providers: SignInContext["providers"]): Promise<string | undefined> {
  const background = new Background();
  const ctx = {
    db,
    clock: { now: () => NOW },
    providers,
    origin: "https://messenger.example",
    districtName: "Maple Valley",
  };
  const { requestId } = await requestFamilySignIn(ctx, to, "203.0.113.1", background);
  await background.settled();
  return requestId;
}

/** A code request for the guardian's phone: its id (what the code form carries) and the texted code. */
async function askForCode(db: Db): Promise<{ requestId: string; code: string }> {
  const texts: TextOut[] = [];
  const requestId = await ask(db, { kind: "phone", address: PHONE }, {
    sendEmail: () => Promise.reject(new Error("a phone gets no email")),
    sendText: (t) => (texts.push(t), Promise.resolve({ providerId: "t1", status: "queued" })),
  });
  assert.equal(texts.length, 1, "one text sent");
  const code = texts[0].body.match(/^(\d{6}) is your code/)?.[1];
  assert.ok(requestId && code, `a request id and a code: ${texts[0].body}`);
  return { requestId, code };
}

/** A link for the guardian's email: its token, from the link in the email. */
async function askForLink(db: Db): Promise<string> {
  const mails: EmailOut[] = [];
  await ask(db, { kind: "email", address: EMAIL }, {
    sendEmail: (m) => (mails.push(m), Promise.resolve({ providerId: "e1", status: "250 OK" })),
    sendText: () => Promise.reject(new Error("an email address gets no text")),
  });
  assert.equal(mails.length, 1, "one email sent");
  const token = mails[0].text.match(/https:\/\/messenger\.example\/family\/signin\/([A-Za-z0-9_-]{43})\n/)?.[1];
  assert.ok(token, `a link in the email: ${mails[0].text}`);
  return token;
}

/** Runs `fn` on a KV holding the guardian. */
function withGuardian(fn: (db: Db) => Promise<void>): Promise<void> {
  return withDb(async (db) => {
    await savePerson(db, null, GUARDIAN);
    await fn(db);
  });
}

/** A code that is not `code`. */
const wrongTo = (code: string) => code === "000000" ? "111111" : "000000";

const signedIn = (results: (string[] | null)[]) => results.filter((r) => r !== null);

Deno.test("code tries sent at once are each counted: 4 at once leave one try, and the right code uses it", () =>
  withGuardian(async (db) => {
    const { requestId, code } = await askForCode(db);
    const wrong = wrongTo(code);
    const results = await Promise.all(
      Array.from({ length: MAX_CODE_TRIES - 1 }, () => useSignInCode(db, requestId, wrong, NOW)),
    );
    assert.deepEqual(results, Array(MAX_CODE_TRIES - 1).fill(null));
    assert.equal((await getSignInRequest(db, requestId, NOW))?.request.tries, MAX_CODE_TRIES - 1);
    assert.deepEqual(await useSignInCode(db, requestId, code, NOW), [GUARDIAN.id], "the fifth try, right");
    assert.equal(await getSignInRequest(db, requestId, NOW), null, "used: gone");
  }));

Deno.test("10 wrong codes at once use up the tries and end the request: the right code then fails", () =>
  withGuardian(async (db) => {
    const { requestId, code } = await askForCode(db);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => useSignInCode(db, requestId, wrongTo(code), NOW)),
    );
    assert.deepEqual(results, Array(10).fill(null));
    // The fifth counted try deletes the request, so no count past MAX_CODE_TRIES is ever stored.
    assert.equal(await getSignInRequest(db, requestId, NOW), null, "the request is dead");
    assert.equal(await useSignInCode(db, requestId, code, NOW), null, "even the right code fails now");
  }));

Deno.test("a try read before another was counted is refused, and counts nothing", () =>
  withGuardian(async (db) => {
    const { requestId } = await askForCode(db);
    const found = (await getSignInRequest(db, requestId, NOW))!;
    const counted = await Promise.all(
      Array.from({ length: 10 }, () => countCodeTry(db, found.entry, found.request, NOW)),
    );
    assert.equal(counted.filter((c) => c !== null).length, 1, "one of ten tries on the same read is counted");
    assert.equal((await getSignInRequest(db, requestId, NOW))?.request.tries, 1);
  }));

Deno.test("the right code sent 5 times at once signs in exactly once", () =>
  withGuardian(async (db) => {
    const { requestId, code } = await askForCode(db);
    const results = await Promise.all(Array.from({ length: 5 }, () => useSignInCode(db, requestId, code, NOW)));
    assert.deepEqual(signedIn(results), [[GUARDIAN.id]], `results: ${JSON.stringify(results)}`);
    assert.equal(await useSignInCode(db, requestId, code, NOW), null, "and never again");
  }));

Deno.test("a link used twice at once signs in exactly once", () =>
  withGuardian(async (db) => {
    // Several links, so the two uses race through different interleavings.
    for (let i = 0; i < 3; i++) {
      const token = await askForLink(db);
      const results = await Promise.all([0, 1].map(() => useSignInToken(db, token, "link", NOW)));
      assert.deepEqual(signedIn(results), [[GUARDIAN.id]], `link ${i}: ${JSON.stringify(results)}`);
      assert.equal(await useSignInToken(db, token, "link", NOW), null, `link ${i}: used`);
    }
  }));

Deno.test("30 requests at once against a limit of 5: exactly 5 allowed, none until the window has passed", () =>
  withDb(async (db) => {
    const WINDOW = 60 * 60 * 1000;
    const limit = [{ scope: "address" as const, value: EMAIL, max: 5 }];
    const race = (now: number) =>
      Promise.all(Array.from({ length: 30 }, () => takeRequestAllowance(db, limit, WINDOW, now)));
    const first = await race(NOW);
    assert.equal(first.filter(Boolean).length, 5);
    assert.equal(await takeRequestAllowance(db, limit, WINDOW, NOW + WINDOW - 1), false, "the window still runs");
    const next = await race(NOW + WINDOW);
    assert.equal(next.filter(Boolean).length, 5, "a new window, a new 5");
  }));

Deno.test("a request refused by one limit counts nothing against the other", () =>
  withDb(async (db) => {
    const WINDOW = 60 * 60 * 1000;
    const client = { scope: "client" as const, value: "203.0.113.1", max: 20 };
    const flooded = [{ scope: "address" as const, value: EMAIL, max: 5 }, client];
    const refused = await Promise.all(
      Array.from({ length: 30 }, () => takeRequestAllowance(db, flooded, WINDOW, NOW)),
    );
    assert.equal(refused.filter(Boolean).length, 5);
    // The client has 5 of its 20 used, not 30: 15 more addresses may still be asked for, at once.
    const others = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        takeRequestAllowance(db, [{ scope: "address", value: `p${i}@mail.example`, max: 5 }, client], WINDOW, NOW)),
    );
    assert.equal(others.filter(Boolean).length, 15);
  }));

Deno.test("an expired link or code is refused though KV still holds it", () =>
  withGuardian(async (db) => {
    const token = await askForLink(db);
    const { requestId, code } = await askForCode(db);
    const expired = NOW + SIGN_IN_TTL_MS;
    for (const secret of [token, requestId]) {
      // KV's expireIn runs on the wall clock and deletes lazily: only the time check on read can refuse it.
      const stored = await db.kv.get([db.districtId, "family_signin", await sha256(secret)]);
      assert.notEqual(stored.value, null, "KV still holds the request");
      assert.notEqual(await getSignInRequest(db, secret, expired - 1), null, "a moment before, it is there");
      assert.equal(await getSignInRequest(db, secret, expired), null, "at its expiry it is gone");
    }
    assert.equal(await useSignInToken(db, token, "link", expired), null);
    assert.equal(await useSignInCode(db, requestId, code, expired), null);
    // Refused for its age only: a moment before, both still work.
    assert.deepEqual(await useSignInToken(db, token, "link", expired - 1), [GUARDIAN.id]);
    assert.deepEqual(await useSignInCode(db, requestId, code, expired - 1), [GUARDIAN.id]);
  }));
