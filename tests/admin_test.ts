import assert from "node:assert/strict";
import { Client, signedIn, subjects, testApp } from "./support/app.ts";
import { getUserByLogin } from "../services/store/users.ts";
import { getPerson, savePerson } from "../services/store/people.ts";

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

Deno.test("a user is linked to their roster staff record, shown in the list; a bad id is 400 and changes nothing", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const teacher = (await getUserByLogin(t.db, "teacher"))!.value;
  const form = { ...rights, name: teacher.name };
  const page = await (await admin.get(`/admin/users/${teacher.id}`)).text();
  assert.match(page, /Roster staff record/);
  assert.match(page, /<option\s+value="stf-lincoln-1"\s*>Sofia Haddad \(Lincoln Elementary\)<\/option>/);

  assert.equal((await admin.post(`/admin/users/${teacher.id}`, { ...form, personId: "stf-lincoln-1" })).status, 303);
  assert.equal((await getUserByLogin(t.db, "teacher"))!.value.personId, "stf-lincoln-1");
  const list = await (await admin.get("/admin/users")).text();
  assert.match(list, /<td>Sofia Haddad \(Lincoln Elementary\)<\/td>/);
  // View/Edit All is only as wide as the calendars it reaches.
  assert.match(list, /<td>View\/Edit All on 2026-27 Lincoln Elementary only · Inbox, Email, Text, Voice<\/td>/);
  assert.match(list, /<td>Administrator · View\/Edit All on every calendar · Inbox, Email, Text, Voice<\/td>/);
  assert.match(list, /<table class="counts text">/, "a table of words reads left-aligned");
  const linked = await (await admin.get(`/admin/users/${teacher.id}`)).text();
  assert.match(linked, /Linked to Sofia Haddad \(Lincoln Elementary\)/);

  const before = (await getUserByLogin(t.db, "teacher"))!;
  for (const [personId, why] of [["stf-nobody", "unknown"], ["stu1", "a student"], ["gdn1", "a guardian"]]) {
    const res = await admin.post(`/admin/users/${teacher.id}`, { ...form, name: "Changed", personId });
    assert.equal(res.status, 400, why);
    const html = await res.text();
    assert.match(html, new RegExp(`Roster staff record: no staff member with id ${personId}`), why);
    assert.match(html, new RegExp(`name="personId" value="${personId}"`), "the form comes back filled in");
    assert.match(html, /value="Changed"/);
  }
  const gone = (await getPerson(t.db, "stf-lincoln-2"))!;
  await savePerson(t.db, gone, { ...gone.value, removedAt: new Date().toISOString() });
  assert.equal((await admin.post(`/admin/users/${teacher.id}`, { ...form, personId: "stf-lincoln-2" })).status, 400);
  assert.equal((await getUserByLogin(t.db, "teacher"))!.versionstamp, before.versionstamp, "nothing changed");

  // A new user can be linked at once; a bad link refuses the whole user.
  const bad = await admin.post("/admin/users", {
    ...rights,
    login: "rpark",
    password: "a-long-password",
    personId: "stu1",
  });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /Roster staff record: no staff member with id stu1/);
  assert.equal(await getUserByLogin(t.db, "rpark"), null);
  const ok = { ...rights, login: "rpark", password: "a-long-password", personId: "stf-roosevelt-3" };
  assert.equal((await admin.post("/admin/users", ok)).status, 303);
  assert.equal((await getUserByLogin(t.db, "rpark"))!.value.personId, "stf-roosevelt-3");

  // Empty unlinks; every link change is audited.
  assert.equal((await admin.post(`/admin/users/${teacher.id}`, { ...form, personId: "" })).status, 303);
  assert.equal((await getUserByLogin(t.db, "teacher"))!.value.personId, undefined);
  const actions: string[] = [];
  for await (const e of t.db.kv.list<{ action: string; user: string }>({ prefix: ["demo", "admin_audit"] })) {
    actions.push(`${e.value.action} ${e.value.user}`);
  }
  assert.ok(actions.includes("linked roster staff record stf-lincoln-1 to teacher"), actions.join("; "));
  assert.ok(actions.includes("unlinked roster staff record stf-lincoln-1 from teacher"));
  assert.ok(actions.includes("linked roster staff record stf-roosevelt-3 to rpark"));
  t.close();
});
