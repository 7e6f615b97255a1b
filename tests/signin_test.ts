/** Sign-in and sessions under attack: lockout races, enumeration, fixation, stale sessions, open redirects. */
import assert from "node:assert/strict";
import { Client, NOW, signedIn, testApp } from "./support/app.ts";
import { getUserByLogin } from "../services/store/users.ts";
import { signIn } from "../services/sign_in.ts";
import { MAX_FAILED_SIGN_INS, MAX_FAILED_SIGN_INS_PER_LOGIN } from "../services/sign_in.ts";

Deno.test("sign in: 24 guesses at once are throttled like 24 in a row", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  await c.get("/signin");
  // All wrong: were the right password among them, whether it came before the lock would depend on the order the
  // requests happen to run in, and a success forgives this client's failures.
  const guesses = Array.from({ length: 24 }, () => "wrong");
  const statuses = await Promise.all(guesses.map((password) => c.post("/signin", { login: "office", password })))
    .then((all) => Promise.all(all.map(async (r) => (await r.body?.cancel(), r.status))));
  const checked = statuses.filter((s) => s !== 429).length;
  assert.ok(checked < MAX_FAILED_SIGN_INS, `only the first ${MAX_FAILED_SIGN_INS} are checked, got ${statuses}`);
  assert.equal(statuses.filter((s) => s === 429).length, 24 - checked);
  assert.equal((await c.post("/signin", { login: "office", password: "demo-office" })).status, 429);
  t.close();
});

Deno.test("sign in: an unknown login or a disabled user costs a password check too (no enumeration by timing)", async () => {
  const t = await testApp();
  let checks = 0;
  const counting = (password: string, hash: string) => {
    checks++;
    return Promise.resolve(password === "x" && hash.length < 0);
  };
  const input = (login: string) => ({ login, password: "x", client: "198.51.100.1" });
  assert.deepEqual(await signIn(t.db, input("nobody-here"), t.clock, counting), { ok: false, reason: "invalid" });
  assert.equal(checks, 1);
  const teacher = (await getUserByLogin(t.db, "teacher"))!;
  await t.db.kv.set([t.db.districtId, "user", teacher.value.id], { ...teacher.value, disabled: true });
  await signIn(t.db, input("teacher"), t.clock, counting);
  assert.equal(checks, 2);
  t.close();
});

Deno.test("sign in: a new CSRF token and a new session; the one planted before no longer works", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  await c.get("/signin");
  const planted = c.csrf;
  const res = await c.signIn("office", "demo-office");
  assert.equal(res.status, 303);
  assert.notEqual(c.csrf, planted, "sign-in sets a fresh CSRF cookie");
  const stale = await c.post("/messages/new", {}, planted);
  assert.equal(stale.status, 403, "the planted token is refused");
  assert.equal((await c.post("/messages/new", {})).status, 303, "the fresh one works");

  const first = c.cookies.get("messenger_session")!;
  assert.equal((await c.signIn("teacher", "demo-teacher")).status, 303);
  assert.notEqual(c.cookies.get("messenger_session"), first);
  const old = new Client(t.app);
  old.cookies.set("messenger_session", first);
  assert.equal((await old.get("/messages")).status, 303, "signing in again ends the session the cookie held");
  t.close();
});

Deno.test("a password reset, rights removed to nothing, or disabling ends the user's sessions", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const id = (await getUserByLogin(t.db, "teacher"))!.value.id;

  const teacher = await signedIn(t, "teacher");
  assert.equal((await teacher.get("/messages")).status, 200);
  assert.equal((await admin.post(`/admin/users/${id}/password`, { password: "another-long-password" })).status, 303);
  assert.equal((await teacher.get("/messages")).status, 303, "signed out by the reset");
  const again = new Client(t.app);
  assert.equal((await again.signIn("teacher", "another-long-password")).status, 303);
  assert.equal((await again.get("/messages")).status, 200);

  const nothing = { name: "Priya Natarajan", title: "Teacher", calendars: [] as string[] };
  assert.equal((await admin.post(`/admin/users/${id}`, nothing)).status, 303);
  assert.equal((await again.get("/messages")).status, 303, "signed out when every right is taken away");
  t.close();
});

Deno.test("sign in: next is followed only to a path of this site", async () => {
  const t = await testApp();
  const cases: [string, string][] = [
    ["/\t/evil.example", "/messages"],
    ["/\\evil.example", "/messages"],
    ["//evil.example/x", "/messages"],
    ["https://evil.example/", "/messages"],
    ["/\n/evil.example", "/messages"],
    ["/sent\r\nSet-Cookie: x=1", "/messages"],
    ["javascript:alert(1)", "/messages"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["/sent?scope=all#top", "/sent?scope=all#top"],
  ];
  for (const [next, expected] of cases) {
    const c = new Client(t.app);
    await c.get("/signin");
    const res = await c.post("/signin", { login: "admin", password: "demo-admin", next });
    assert.equal(res.status, 303, JSON.stringify(next));
    assert.equal(res.headers.get("Location"), expected, JSON.stringify(next));
    const page = await c.get(`/signin?next=${encodeURIComponent(next)}`);
    assert.equal(page.status, 302, JSON.stringify(next));
    assert.equal(page.headers.get("Location"), expected, JSON.stringify(next));
  }
  t.close();
});

Deno.test("lockout: another address can still sign in; many addresses together lock the login for all", async () => {
  const t = await testApp();
  const from = async (address: string, password: string) => {
    const c = new Client(t.app, { "X-Forwarded-For": `10.9.9.9, ${address}` });
    await c.get("/signin");
    const res = await c.post("/signin", { login: "admin", password });
    await res.body?.cancel();
    return res.status;
  };
  for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) await from("203.0.113.9", "wrong");
  assert.equal(await from("203.0.113.9", "demo-admin"), 429, "the guessing address is locked out");
  assert.equal(await from("198.51.100.7", "demo-admin"), 303, "the administrator, elsewhere, is not");

  let address = 0;
  for (let i = MAX_FAILED_SIGN_INS; i < MAX_FAILED_SIGN_INS_PER_LOGIN; i++) {
    await from(`203.0.113.${10 + Math.floor(address++ / (MAX_FAILED_SIGN_INS - 1))}`, "wrong");
  }
  assert.equal(await from("198.51.100.8", "demo-admin"), 429, "a login guessed at from many addresses locks for all");
  t.clock.at = NOW + 16 * 60_000;
  assert.equal(await from("198.51.100.8", "demo-admin"), 303, "until the lock runs out");
  t.close();
});
