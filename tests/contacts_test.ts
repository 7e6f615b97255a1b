/**
 * The Bad contacts report over HTTP (/admin/contacts and its CSV): who may
 * open it and which schools they see, the filters, bad filter values, paging
 * and a CSV no spreadsheet runs. The demo district seeds its bad contacts
 * (services/demo/bad_contacts.ts).
 */
import assert from "node:assert/strict";
import { type Client, NOW, signedIn, type TestApp, testApp } from "./support/app.ts";
import { noteBadContacts } from "../services/bad_contacts.ts";
import { createPeople } from "../services/store/people.ts";
import type { Person } from "../services/model.ts";
import type { Delivery } from "../services/store/deliveries.ts";

/** The person ids on a page of the report, in order. */
async function listed(client: Client, query = ""): Promise<{ status: number; ids: string[]; html: string }> {
  const res = await client.get(`/admin/contacts${query}`);
  const html = await res.text();
  const ids = [
    ...html.matchAll(/<tr><th scope="row">(?:<a href="\/admin\/people\/([^"]+)"[^>]*>|<span[^>]*title="([^"]*)")/g),
  ]
    .map((m) => m[1] ?? m[2]);
  return { status: res.status, ids, html };
}

/** The names on a page (the office sees names without links). */
function names(html: string): string[] {
  return [...html.matchAll(/<tr><th scope="row">(?:<a [^>]*>|<span [^>]*>)([^<]*)</g)].map((m) => m[1]);
}

async function csv(client: Client, query = ""): Promise<{ status: number; type: string; rows: string[] }> {
  const res = await client.get(`/admin/contacts.csv${query}`);
  const text = await res.text();
  return { status: res.status, type: res.headers.get("Content-Type") ?? "", rows: text.split("\r\n").filter(Boolean) };
}

/** A guardian at `school` whose phone failed for good with `code` (a delivery as dispatch records it). */
async function badGuardian(t: TestApp, id: string, school: string, code = "21211", name = "Pat Lee"): Promise<void> {
  const [firstName, lastName] = name.split(" ");
  const phone = `+1612555${String(9000 + Number(id.replace(/\D/g, "")) % 1000).padStart(4, "0")}`;
  const person: Person = {
    id,
    kind: "guardian",
    firstName,
    lastName,
    schoolIds: [school],
    studentIds: [],
    devices: [{
      id: "phone",
      kind: "phone",
      address: phone,
      text: true,
      general: true,
      priority: true,
      emergency: true,
    }],
  };
  await createPeople(t.db, [person]);
  const delivery: Delivery = {
    id: `${id}~~phone`,
    runId: "RUN1",
    mode: "text",
    personId: id,
    name,
    as: "guardians",
    studentIds: [],
    address: phone,
    state: "failed",
    attempts: 1,
    errorCode: code,
    updatedAt: NOW - 1000,
    history: [],
  };
  await noteBadContacts(t.db, [delivery], NOW);
}

Deno.test("administrators see every school's bad contacts, each linked to the person's page", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const page = await listed(admin);
  assert.equal(page.status, 200);
  for (const id of ["gdn4", "gdn2", "gdn142", "gdn275", "gdn276", "gdn71"]) assert.ok(page.ids.includes(id), id);
  assert.ok(!page.ids.includes("gdn144"), "unreachable once is not on it");
  assert.ok(!page.ids.includes("gdn1"), "fixed since: not under Needs fixing");
  assert.match(page.html, /<a href="\/admin\/people\/gdn4"/);
  assert.match(page.html, /<option value="">Every school<\/option>/);
  assert.match(page.html, /<a href="\/admin\/contacts">Contacts<\/a>/, "the navigation links it");
  t.close();
});

Deno.test("the office sees its own schools only, without links to the administrators' person page; a teacher gets 403", async () => {
  const t = await testApp();
  const office = await signedIn(t, "office");
  const page = await listed(office);
  assert.equal(page.status, 200);
  const seen = names(page.html);
  // Lincoln's: Grace Brown (gdn4), Noah Clark (gdn2), Fatima Kowalski (gdn71, Lincoln and two other schools).
  for (const name of ["Grace Brown", "Noah Clark", "Fatima Kowalski"]) assert.ok(seen.includes(name), name);
  // Washington's and Roosevelt's alone: Amara Kim (gdn142), Samuel Thompson (gdn275), Aaliyah Baker (gdn276).
  for (const name of ["Amara Kim", "Samuel Thompson", "Aaliyah Baker"]) assert.ok(!seen.includes(name), name);
  assert.doesNotMatch(page.html, /href="\/admin\/people\//, "no link to a page the office cannot open");
  assert.doesNotMatch(page.html, /name="school"/, "one school: nothing to choose");
  assert.match(page.html, /in the last 30 days at Lincoln Elementary/);
  assert.match(page.html, /<a href="\/admin\/contacts">Contacts<\/a>/);
  const other = await listed(office, "?school=roosevelt");
  assert.equal(other.status, 400);
  assert.match(other.html, /school: is not one of your schools/);
  assert.deepEqual(other.ids, [], "nothing of another school shown");
  const otherCsv = await csv(office, "?school=roosevelt");
  assert.equal(otherCsv.status, 400);
  assert.ok(!otherCsv.rows.some((r) => r.includes("Samuel Thompson")));
  const rows = (await csv(office)).rows.slice(1);
  assert.ok(rows.length >= 3);
  assert.ok(rows.every((r) => r.includes("Lincoln Elementary")), "the CSV too: Lincoln's people only");

  const teacher = await signedIn(t, "teacher");
  const refused = await teacher.get("/admin/contacts");
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /Only administrators, and office staff/);
  assert.equal((await csv(teacher)).status, 403);
  assert.doesNotMatch(await (await teacher.get("/messages")).text(), /href="\/admin\/contacts"/);
  // View/Edit All on every calendar, no Administrator right: every school, still no person links.
  const comms = await signedIn(t, "comms");
  const all = await listed(comms);
  assert.equal(all.status, 200);
  assert.ok(names(all.html).includes("Samuel Thompson"));
  assert.doesNotMatch(all.html, /href="\/admin\/people\//);
  t.close();
});

Deno.test("filters: school, kind of problem, mode, fixed ones; they combine and the CSV follows them", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  assert.deepEqual((await listed(admin, "?problem=landline")).ids, ["gdn2"]);
  assert.deepEqual((await listed(admin, "?problem=unreachable")).ids, ["gdn142"]);
  assert.deepEqual((await listed(admin, "?mode=email")).ids, ["gdn4", "gdn276"]);
  assert.deepEqual((await listed(admin, "?mode=voice")).ids, ["gdn275"]);
  assert.deepEqual((await listed(admin, "?mode=email&school=lincoln")).ids, ["gdn4"]);
  const washington = await listed(admin, "?school=washington");
  assert.ok(washington.ids.includes("gdn142") && washington.ids.includes("gdn71"));
  assert.ok(!washington.ids.includes("gdn4"));
  assert.deepEqual((await listed(admin, "?status=fixed&mode=email")).ids, ["gdn1"]);
  const fixed = await listed(admin, "?status=fixed");
  assert.match(fixed.html, /k\*\*\*@oldmail\.example<span class="contact-fixed">Fixed<\/span>/);
  const rows = (await csv(admin, "?mode=email&status=any")).rows;
  assert.deepEqual(rows.slice(1).map((r) => r.split(",")[0]), ["gdn4", "gdn276", "gdn1"]);
  t.close();
});

Deno.test("a bad filter value is a 400 naming the field, on the page and for the CSV", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  for (
    const [query, field] of [
      ["?problem=bogus", "problem"],
      ["?mode=inbox", "mode"],
      ["?status=closed", "status"],
      ["?school=nowhere", "school"],
      [`?school=${"x".repeat(65)}`, "school"],
      ["?cursor=not!ours", "cursor"],
    ]
  ) {
    const page = await listed(admin, query);
    assert.equal(page.status, 400, query);
    assert.match(page.html, new RegExp(`role="alert">${field}: `), query);
    assert.deepEqual(page.ids, [], query);
    const exported = await csv(admin, query);
    assert.equal(exported.status, 400, `CSV ${query}`);
  }
  t.close();
});

Deno.test("the CSV: every column, masked devices, and no cell a spreadsheet would run", async () => {
  const t = await testApp();
  await badGuardian(t, "evil1", "lincoln", "21211", '=HYPERLINK("http://evil.example") +Lee');
  const admin = await signedIn(t, "admin");
  const out = await csv(admin);
  assert.equal(out.status, 200);
  assert.match(out.type, /^text\/csv/);
  assert.equal(
    out.rows[0],
    "person_id,person,relationship,schools,device_kind,device,modes,problems,failures,first_failure_utc,last_failure_utc,last_error_code,last_error,status,last_run_id",
  );
  const evil = out.rows.find((r) => r.startsWith("evil1,"))!;
  assert.ok(evil.startsWith(`evil1,"'=HYPERLINK(""http://evil.example"")`), evil);
  assert.match(evil, /,phone,\*\*\*-\*\*\*-\d{4},text,Not a valid phone number,1,/);
  assert.match(evil, /,21211,not a valid phone number,needs fixing,RUN1$/);
  assert.ok(!out.rows.some((r) => /\+1\d{10}|grace\.brown4@/.test(r)), "no whole address or number");
  const res = await admin.get("/admin/contacts.csv");
  assert.match(res.headers.get("Content-Disposition") ?? "", /attachment; filename="bad-contacts\.csv"/);
  await res.body?.cancel();
  t.close();
});

Deno.test("pages of 50, newest failure first, each page resumed where the last stopped", async () => {
  const t = await testApp();
  for (let i = 0; i < 70; i++) await badGuardian(t, `many${i}`, "washington", "21614");
  const admin = await signedIn(t, "admin");
  const first = await listed(admin, "?problem=landline");
  assert.equal(first.ids.length, 50);
  const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.html)![1].replaceAll("&amp;", "&");
  const second = await listed(admin, next.replace("/admin/contacts", ""));
  assert.equal(second.status, 200);
  assert.equal(second.ids.length, 21, "70 new ones and the demo's landline");
  assert.doesNotMatch(second.html, /rel="next"/);
  assert.equal(new Set([...first.ids, ...second.ids]).size, 71, "nobody twice");
  t.close();
});
