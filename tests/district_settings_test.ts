import assert from "node:assert/strict";
import { signedIn, testApp } from "./support/app.ts";
import { getDistrict, listSchools } from "../services/store/district.ts";

const words = (html: string) => html.replaceAll(/<[^>]+>/g, " ").replaceAll(/\s+/g, " ");

const valid = {
  dialingStart: "07:30",
  dialingEnd: "20:00",
  textStart: "08:00",
  textEnd: "21:00",
  largeSendThreshold: "500",
  callerId_lincoln: "(312) 555-0142",
  callerId_roosevelt: "",
};

Deno.test("District settings: only administrators; the form shows the district's rules and each school", async () => {
  const t = await testApp();
  for (const login of ["office", "teacher", "comms"]) {
    const c = await signedIn(t, login);
    assert.equal((await c.get("/admin/settings")).status, 403, login);
    assert.equal((await c.post("/admin/settings", valid)).status, 403, login);
  }
  assert.equal((await getDistrict(t.db))!.largeSendThreshold, 1000, "nothing changed");
  const admin = await signedIn(t, "admin");
  const html = await (await admin.get("/admin/settings")).text();
  assert.match(html, /name="dialingStart"[^>]*value="07:00"|value="07:00"[^>]*name="dialingStart"/);
  assert.match(html, /name="textStart"[^>]*value="08:00"|value="08:00"[^>]*name="textStart"/);
  assert.match(html, /name="largeSendThreshold"[^>]*value="1000"|value="1000"[^>]*name="largeSendThreshold"/);
  for (const school of await listSchools(t.db)) assert.match(html, new RegExp(`name="callerId_${school.id}"`));
  assert.match(html, /href="\/admin\/settings"/, "the admin menu links it");
  t.close();
});

Deno.test("District settings: valid settings are saved and audited; a school's number is stored as E.164", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const res = await admin.post("/admin/settings", valid);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("Location"), "/admin/settings?saved=1");
  const d = (await getDistrict(t.db))!;
  assert.deepEqual(d.dialingWindow, { start: "07:30", end: "20:00" });
  assert.deepEqual(d.textWindow, { start: "08:00", end: "21:00" });
  assert.equal(d.largeSendThreshold, 500);
  const schools = await listSchools(t.db);
  assert.equal(schools.find((s) => s.id === "lincoln")!.callerId, "+13125550142");
  assert.equal(schools.find((s) => s.id === "roosevelt")!.callerId, undefined);
  assert.match(words(await (await admin.get("/admin/settings?saved=1")).text()), /The settings are saved\./);
  const audit = [];
  for await (const e of t.db.kv.list<{ action: string }>({ prefix: ["demo", "admin_audit"] })) audit.push(e.value);
  assert.ok(
    audit.some((a) => /district settings: calls 07:30–20:00, texts 08:00–21:00, confirm above 500/.test(a.action)),
  );
  assert.ok(audit.some((a) => /Lincoln Elementary caller ID \+13125550142/.test(a.action)));
  // Emptying the number goes back to TWILIO_FROM.
  assert.equal((await admin.post("/admin/settings", { ...valid, callerId_lincoln: "" })).status, 303);
  assert.equal((await listSchools(t.db)).find((s) => s.id === "lincoln")!.callerId, undefined);
  t.close();
});

Deno.test("District settings: a window ending before it starts, a threshold below 1 or a bad number is a 400 naming the field; nothing saved", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const before = JSON.stringify([await getDistrict(t.db), await listSchools(t.db)]);
  const cases: [Record<string, string>, RegExp][] = [
    [{ textStart: "21:00", textEnd: "08:00" }, /Until: must be after the start: texts are sent between the two/],
    [{ dialingEnd: "07:00", dialingStart: "07:00" }, /Until: must be after the start: calls are made/],
    [{ largeSendThreshold: "0" }, /Ask for confirmation above: must be at least 1/],
    [{ largeSendThreshold: "many" }, /Ask for confirmation above: must be a whole number/],
    [{ textStart: "25:00" }, /From: must be a time like 08:00/],
    [{ callerId_lincoln: "call the office" }, /Lincoln Elementary: is not a phone number/],
  ];
  for (const [change, error] of cases) {
    const res = await admin.post("/admin/settings", { ...valid, ...change });
    assert.equal(res.status, 400, JSON.stringify(change));
    const html = await res.text();
    assert.match(words(html), error);
    assert.match(words(html), /Nothing was saved/);
    for (const v of Object.values(change)) assert.ok(html.includes(`value="${v}"`), `kept as typed: ${v}`);
  }
  assert.equal(JSON.stringify([await getDistrict(t.db), await listSchools(t.db)]), before);
  // The CSRF token is required like on every form.
  assert.equal((await admin.post("/admin/settings", valid, "wrong")).status, 403);
  t.close();
});
