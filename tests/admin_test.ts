import assert from "node:assert/strict";
import { Client, signedIn, subjects, testApp } from "./support/app.ts";
import { getUserByLogin } from "../services/store/users.ts";
import { getPerson } from "../services/store/people.ts";

const rights = {
  name: "Rosa Park",
  title: "Teacher",
  modes: ["email", "inbox"],
  messageTypes: ["general"],
  recipientTypes: ["guardians"],
  calendars: ["lincoln-2026"],
};

Deno.test("only administrators reach /admin", async () => {
  const t = await testApp();
  for (const login of ["office", "teacher", "comms"]) {
    const c = await signedIn(t, login);
    assert.equal((await c.get("/admin/users")).status, 403, login);
    assert.equal((await c.post("/admin/users", { ...rights, login: "x1", password: "a-long-password" })).status, 403);
  }
  assert.equal(await getUserByLogin(t.db, "x1"), null);
  t.close();
});

Deno.test("an administrator creates a user, who signs in with exactly the rights given", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const bad = await admin.post("/admin/users", { ...rights, login: "r", password: "short" });
  assert.equal(bad.status, 400);
  const html = await bad.text();
  assert.match(html, /2 to 40 letters/);
  assert.match(html, /at least 12 characters/);
  assert.match(html, /value="Rosa Park"/, "the form comes back filled in");
  assert.equal(
    (await admin.post("/admin/users", { ...rights, login: "teacher", password: "a-long-password" })).status,
    409,
  );
  assert.equal(
    (await admin.post("/admin/users", { ...rights, login: "rpark", password: "a-long-password" })).status,
    303,
  );
  const rosa = new Client(t.app);
  assert.equal((await rosa.signIn("rpark", "a-long-password")).status, 303);
  const list = await (await rosa.get("/messages?scope=all")).text();
  assert.doesNotMatch(list, /All Messages/);
  assert.deepEqual(subjects(list), []);
  t.close();
});

Deno.test("rights changes apply on the next request; disabling ends access; a password reset works", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const teacher = await signedIn(t, "teacher");
  assert.doesNotMatch(await (await teacher.get("/messages")).text(), /All Messages/);
  const id = (await getUserByLogin(t.db, "teacher"))!.value.id;
  const grant = { ...rights, name: "Priya Natarajan", viewEditAll: "on", calendars: ["lincoln-2026"] };
  assert.equal((await admin.post(`/admin/users/${id}`, grant)).status, 303);
  assert.match(await (await teacher.get("/messages")).text(), /All Messages/, "the same session sees the new right");
  assert.equal((await admin.post(`/admin/users/${id}`, { ...grant, disabled: "on" })).status, 303);
  assert.equal((await teacher.get("/messages")).status, 303, "a disabled user is signed out");
  assert.equal((await admin.post(`/admin/users/${id}`, grant)).status, 303);
  assert.equal((await admin.post(`/admin/users/${id}/password`, { password: "short" })).status, 400);
  assert.equal((await admin.post(`/admin/users/${id}/password`, { password: "a-brand-new-password" })).status, 303);
  assert.equal((await new Client(t.app).signIn("teacher", "demo-teacher")).status, 401);
  assert.equal((await new Client(t.app).signIn("teacher", "a-brand-new-password")).status, 303);
  const me = (await getUserByLogin(t.db, "admin"))!.value.id;
  const self = await admin.post(`/admin/users/${me}`, { ...rights, name: "Dana Whitfield" });
  assert.equal(self.status, 400);
  assert.match(await self.text(), /cannot disable yourself or take away your own administrator right/);
  t.close();
});

Deno.test("contact preferences: an administrator sets what reaches each device and the language; bad input changes nothing", async () => {
  const t = await testApp();
  const office = await signedIn(t, "office");
  assert.equal((await office.get("/admin/people?q=ava")).status, 403);
  assert.equal((await office.post("/admin/people/gdn1", { language: "es" })).status, 403);
  const admin = await signedIn(t, "admin");
  const before = (await getPerson(t.db, "gdn1"))!.value;
  const found = await (await admin.get(`/admin/people?q=${encodeURIComponent(before.firstName)}`)).text();
  assert.match(found, /href="\/admin\/people\/gdn1"/);
  // Turn every device off for General, keep Emergency on; Spanish.
  const fields: Record<string, string> = { language: "es" };
  for (const d of before.devices) fields[`${d.id}:emergency`] = "on";
  assert.equal((await admin.post("/admin/people/gdn1", fields)).status, 303);
  const after = (await getPerson(t.db, "gdn1"))!.value;
  assert.equal(after.language, "es");
  assert.ok(after.devices.every((d) => !d.general && !d.priority && d.emergency));
  assert.equal((await admin.post("/admin/people/gdn1", { language: "not a language!" })).status, 400);
  assert.equal((await getPerson(t.db, "gdn1"))!.value.language, "es", "nothing changed");
  t.close();
});
