import assert from "node:assert/strict";
import { Deflate, strToU8, zipSync } from "fflate";
import { signedIn, type TestApp, testApp } from "./support/app.ts";
import { getPerson, listPeopleInSchool } from "../services/store/people.ts";
import { listCalendars, listSchools } from "../services/store/district.ts";
import { readDemoRoster } from "../services/demo.ts";
import { Dispatcher } from "../services/dispatch/dispatcher.ts";
import { claimJob, LEASE_MS } from "../services/dispatch/jobs.ts";
import { getJob, jobsOfRun } from "../services/store/jobs.ts";
import { outboxProviders } from "../services/providers/outbox.ts";

const demoFiles = (): Promise<Record<string, string>> => readDemoRoster();

const zip = (files: Record<string, string>) => ({
  name: "oneroster.zip",
  type: "application/zip",
  bytes: zipSync(Object.fromEntries(Object.entries(files).map(([n, t]) => [n, strToU8(t)]))),
});

const NEW_GUARDIAN =
  "gdn-new,,,true,lincoln,guardian,wen@mail.example,,Wen,Okoro,,,wen@mail.example,(612) 555-0199,,stu1,,";

Deno.test("only administrators reach /admin/roster", async () => {
  const t = await testApp();
  const files = await demoFiles();
  for (const login of ["office", "teacher", "comms"]) {
    const c = await signedIn(t, login);
    assert.equal((await c.get("/admin/roster")).status, 403, login);
    const res = await c.postFiles("/admin/roster", {}, [zip(files)]);
    assert.equal(res.status, 403, login);
  }
  const admin = await signedIn(t, "admin");
  assert.match(await (await admin.get("/admin/roster")).text(), /Upload and preview/);
  t.close();
});

Deno.test("upload → preview (nothing changed yet) → apply: a new guardian is a recipient at their student's school", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const files = await demoFiles();
  files["users.csv"] += NEW_GUARDIAN + "\n";
  const up = await admin.postFiles("/admin/roster", {}, [zip(files)]);
  assert.equal(up.status, 303);
  const url = up.headers.get("Location")!;
  assert.match(await (await admin.get(url)).text(), /Checking the files/);
  await t.dispatcher.drain();
  const preview = await (await admin.get(url)).text();
  assert.match(preview, /Ready to apply/);
  assert.match(preview, /<th scope="row">Guardians<\/th><td>1<\/td><td>0<\/td><td>0<\/td>/);
  assert.match(preview, /Wen Okoro \(guardian, gdn-new\)/);
  assert.match(preview, /736 people unchanged/);
  assert.equal(await getPerson(t.db, "gdn-new"), null, "the preview changes nothing");

  const applied = await admin.post(`${url}/apply`, {});
  assert.equal(applied.status, 303);
  await t.dispatcher.drain();
  const done = await (await admin.get(url)).text();
  assert.match(done, /Applied by Dana Whitfield/);
  const wen = (await getPerson(t.db, "gdn-new"))!.value;
  assert.deepEqual(wen.devices.map((d) => d.address), ["wen@mail.example", "+16125550199"]);
  assert.ok((await listPeopleInSchool(t.db, "lincoln", "guardian")).some((g) => g.id === "gdn-new"));
  // Applying twice is refused.
  assert.equal((await admin.post(`${url}/apply`, {})).status, 409);
  t.close();
});

Deno.test("problem rows: shown with file, line and reason; apply needs the skip choice; the CSV lists them all", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const files = await demoFiles();
  files["users.csv"] += NEW_GUARDIAN + "\n" +
    "gdn-bad,,,true,lincoln,guardian,x,,Bad,Mail,,,not-an-email,,,stu1,,\n" +
    "gdn-bad2,,,true,atlantis,guardian,y,,Lost,Org,,,,,,stu1,,\n";
  const url = (await admin.postFiles("/admin/roster", {}, [zip(files)])).headers.get("Location")!;
  await t.dispatcher.drain();
  const preview = await (await admin.get(url)).text();
  assert.match(preview, /Problem rows: 2/);
  assert.match(
    preview,
    /<td>users.csv<\/td><td>739<\/td><td>gdn-bad<\/td><td>email &quot;not-an-email&quot; is not an email address<\/td>/,
  );
  assert.match(preview, /unknown org atlantis in orgSourcedIds/);

  const refused = await admin.post(`${url}/apply`, {});
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /Skip problem rows: this import has problem rows/);
  assert.equal(await getPerson(t.db, "gdn-new"), null);

  const csv = await (await admin.get(`${url}/problems.csv`)).text();
  assert.deepEqual(csv.trim().split("\r\n"), [
    "file,line,sourcedId,reason",
    'users.csv,739,gdn-bad,"email ""not-an-email"" is not an email address"',
    "users.csv,740,gdn-bad2,unknown org atlantis in orgSourcedIds",
  ]);

  assert.equal((await admin.post(`${url}/apply`, { skipProblems: "on" })).status, 303);
  await t.dispatcher.drain();
  assert.ok(await getPerson(t.db, "gdn-new"));
  assert.equal(await getPerson(t.db, "gdn-bad"), null);
  t.close();
});

Deno.test("a renamed school with no people changed can be applied: the school and its calendar take the name", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const files = await demoFiles();
  files["orgs.csv"] = files["orgs.csv"].replace("Lincoln Elementary,school", "Lincoln Elementary School,school");
  const url = (await admin.postFiles("/admin/roster", {}, [zip(files)])).headers.get("Location")!;
  await t.dispatcher.drain();
  const preview = await (await admin.get(url)).text();
  assert.match(preview, /736 people unchanged/);
  assert.match(preview, /Renamed schools: Lincoln Elementary School\./);
  assert.match(preview, /<button type="submit">Apply: 2 changes<\/button>/);
  assert.equal((await admin.post(`${url}/apply`, {})).status, 303);
  await t.dispatcher.drain();
  assert.match(await (await admin.get(url)).text(), /Applied by Dana Whitfield/);
  assert.ok((await listSchools(t.db)).some((s) => s.id === "lincoln" && s.name === "Lincoln Elementary School"));
  assert.match((await listCalendars(t.db)).find((c) => c.schoolId === "lincoln")!.name, / Lincoln Elementary School$/);
  t.close();
});

Deno.test("upload errors are 400 on the page and store nothing; discard; no CSRF token is 403", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const none = await admin.postFiles("/admin/roster", {}, []);
  assert.equal(none.status, 400);
  assert.match(await none.text(), /Files: choose the OneRoster zip or its CSV files/);
  const wrong = await admin.postFiles("/admin/roster", {}, [{ name: "notes.txt", bytes: strToU8("hello") }]);
  assert.equal(wrong.status, 400);
  assert.match(await wrong.text(), /none of the files is a OneRoster CSV \(notes.txt\)/);
  const broken = await admin.postFiles("/admin/roster", {}, [{
    name: "r.zip",
    bytes: new Uint8Array([0x50, 0x4b, 3, 4, 0]),
  }]);
  assert.equal(broken.status, 400);
  assert.match(await broken.text(), /r.zip is not a readable zip file/);
  assert.doesNotMatch(await (await admin.get("/admin/roster")).text(), /Checking the files|Ready to apply/);

  const files = await demoFiles();
  const url = (await admin.postFiles("/admin/roster", {}, [zip(files)])).headers.get("Location")!;
  await t.dispatcher.drain();
  assert.equal((await admin.post(`${url}/discard`, {})).status, 303);
  assert.match(await (await admin.get(url)).text(), /Roster import: Discarded/);
  assert.equal((await admin.post(`${url}/apply`, {})).status, 409);

  const form = new FormData();
  form.append("files", new File([strToU8("x")], "users.csv"));
  const forged = await admin.request("/admin/roster", { method: "POST", body: form });
  assert.equal(forged.status, 403);
  t.close();
});

Deno.test("a roster apply runs beside dispatch: the sweep returns while it is still writing", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const files = await demoFiles();
  // Every guardian's email changes: 400 people to write.
  files["users.csv"] = files["users.csv"].replaceAll("@mail.example", "@mail2.example");
  const url = (await admin.postFiles("/admin/roster", {}, [zip(files)])).headers.get("Location")!;
  await t.dispatcher.drain();
  assert.equal((await admin.post(`${url}/apply`, {})).status, 303);
  await t.dispatcher.sweep();
  assert.match(await (await admin.get(url)).text(), /Roster import: Applying/);
  await t.dispatcher.idle();
  const done = await (await admin.get(url)).text();
  assert.match(done, /Roster import: Applied/);
  assert.match(done, /<th scope="row">Guardians<\/th><td>0<\/td><td>\d+<\/td><td>0<\/td>/);
  t.close();
});

/** KV entries an upload can leave behind: roster imports, their files, changes, problems, and jobs. */
async function storedRosterKeys(t: TestApp): Promise<number> {
  let n = 0;
  for await (const e of t.db.kv.list({ prefix: [t.db.districtId] })) {
    const kind = String(e.key[1]);
    if ((kind.startsWith("roster_") && kind !== "roster_hash") || kind.startsWith("job")) n++;
  }
  return n;
}

/**
 * A zip whose users.csv inflates to `size` bytes: one MiB of rows deflated
 * once (a non-final block ending on a byte boundary) and repeated, so a
 * 3 GiB bomb is built in milliseconds and weighs about 3 MB, as in issue 10.
 */
function zipBomb(size: number): Uint8Array {
  const MIB = 1024 * 1024;
  const out: Uint8Array[] = [];
  const deflate = new Deflate((chunk) => out.push(chunk));
  deflate.push(strToU8("a,b\n".repeat(MIB / 4)));
  deflate.flush(true);
  const segment = concat(out);
  out.length = 0;
  deflate.push(new Uint8Array(0), true);
  const data = concat([...Array.from({ length: size / MIB }, () => segment), ...out]);
  const name = strToU8("users.csv");
  const local = new Uint8Array(30 + name.length);
  const l = new DataView(local.buffer);
  l.setUint32(0, 0x04034b50, true);
  l.setUint16(4, 20, true);
  l.setUint16(8, 8, true);
  l.setUint32(18, data.length, true);
  l.setUint32(22, size, true);
  l.setUint16(26, name.length, true);
  local.set(name, 30);
  const central = new Uint8Array(46 + name.length);
  const c = new DataView(central.buffer);
  c.setUint32(0, 0x02014b50, true);
  c.setUint16(4, 20, true);
  c.setUint16(6, 20, true);
  c.setUint16(10, 8, true);
  c.setUint32(20, data.length, true);
  c.setUint32(24, size, true);
  c.setUint16(28, name.length, true);
  central.set(name, 46);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, 1, true);
  e.setUint16(10, 1, true);
  e.setUint32(12, central.length, true);
  e.setUint32(16, local.length + data.length, true);
  return concat([local, data, central, end]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("a 3 MB zip that inflates to 3 GiB is refused at once with a 400 naming the problem; nothing is stored", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const bomb = zipBomb(3 * 1024 ** 3);
  assert.ok(bomb.length < 4 * 1024 * 1024, `the bomb is ${bomb.length} bytes`);
  const before = await storedRosterKeys(t);
  const res = await admin.postFiles("/admin/roster", {}, [{
    name: "roster.zip",
    type: "application/zip",
    bytes: bomb,
  }]);
  assert.equal(res.status, 400);
  const html = await res.text();
  assert.match(html, /Files: users\.csv in roster\.zip unzips to more than 100 times its compressed size/);
  assert.match(html, /<button type="submit">Upload and preview<\/button>/, "the upload form is still there");
  assert.equal(await storedRosterKeys(t), before);
  t.close();
});

Deno.test("too many files, a 20 MB quoted field with newlines, a file that is not OneRoster: 400, nothing stored", async () => {
  const t = await testApp();
  const admin = await signedIn(t, "admin");
  const files = await demoFiles();
  const before = await storedRosterKeys(t);

  const crowded = zip(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`extra/${i}.txt`, "x"])));
  const many = await admin.postFiles("/admin/roster", {}, [crowded]);
  assert.equal(many.status, 400);
  assert.match(await many.text(), /Files: oneroster\.zip holds more than 100 files/);

  const lines = files["users.csv"].split("\n");
  const huge =
    [lines[0], `x1,,,true,lincoln,student,x1,,"${"a long line\n".repeat(20 * 1024 * 1024 / 12)}",Lee,,,,,,,01,`]
      .join("\n") + "\n";
  const quoted = await admin.postFiles("/admin/roster", {}, [{ name: "users.csv", bytes: strToU8(huge) }]);
  assert.equal(quoted.status, 400);
  assert.match(await quoted.text(), /Files: users\.csv, line 2: a row longer than 64 KB/);

  const other = await admin.postFiles("/admin/roster", {}, [{ name: "notes.txt", bytes: strToU8("hello") }]);
  assert.equal(other.status, 400);
  assert.match(await other.text(), /none of the files is a OneRoster CSV \(notes.txt\)/);

  assert.equal(await storedRosterKeys(t), before);
  assert.doesNotMatch(await (await admin.get("/admin/roster")).text(), /Checking the files|Discarded/);
  t.close();
});

/** The import's id from the page an upload redirects to. */
async function upload(t: TestApp, files: Record<string, string>): Promise<{ id: string; url: string }> {
  const admin = await signedIn(t, "admin");
  const url = (await admin.postFiles("/admin/roster", {}, [zip(files)])).headers.get("Location")!;
  return { id: url.split("/").pop()!, url };
}

Deno.test("a preview that fails on every attempt ends Failed with its reason on the import's page", async () => {
  const t = await testApp();
  const { id, url } = await upload(t, await demoFiles());
  // The files cannot be read back: every attempt at the preview throws.
  const kv = new Proxy(t.db.kv, {
    get(target, prop) {
      if (prop === "list") {
        return (selector: Deno.KvListSelector, options?: Deno.KvListOptions) => {
          if ("prefix" in selector && selector.prefix[1] === "roster_blob") throw new Error("the disk is failing");
          return target.list(selector, options);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const failing = new Dispatcher({
    db: { kv, districtId: t.db.districtId },
    clock: t.clock,
    providers: outboxProviders(t.db, t.clock),
    publicUrl: "http://127.0.0.1:9",
  });
  for (let attempt = 0; attempt < 5; attempt++) {
    await failing.sweep();
    await failing.idle();
    t.clock.at += LEASE_MS + 1000;
  }
  assert.deepEqual(await jobsOfRun(t.db, id), [], "no job is left to run again");
  const admin = await signedIn(t, "admin");
  const page = await (await admin.get(url)).text();
  assert.match(page, /Roster import: Failed/);
  assert.match(page, /Preview stopped: the disk is failing/);
  t.close();
});

Deno.test("a preview whose attempts all died with the server ends Failed instead of running a fourth time", async () => {
  const t = await testApp();
  const { id, url } = await upload(t, await demoFiles());
  const [job] = await jobsOfRun(t.db, id);
  // Three attempts claimed the job and never answered: the process died (out of memory, say) each time.
  for (let attempt = 1; attempt <= 3; attempt++) {
    assert.ok(await claimJob(t.db, job.value.id, t.clock.at));
    t.clock.at += LEASE_MS + 1000;
  }
  await t.dispatcher.sweep();
  await t.dispatcher.idle();
  assert.deepEqual(await jobsOfRun(t.db, id), []);
  const admin = await signedIn(t, "admin");
  const page = await (await admin.get(url)).text();
  assert.match(page, /Roster import: Failed/);
  assert.match(page, /Preview stopped: it did not finish in 3 attempts/);
  t.close();
});

Deno.test("a preview that outlasts its lease renews it: the sweep never starts it again beside itself", async () => {
  const t = await testApp();
  const files = await demoFiles();
  files["users.csv"] += Array.from(
    { length: 60_000 },
    (_, i) => `new${i},,,true,lincoln,student,new${i},,Pat${i},Lee,,,,,,,01,`,
  ).join("\n") + "\n";
  const { id, url } = await upload(t, files);
  const [job] = await jobsOfRun(t.db, id);
  // The clock runs a whole lease every 200 ms of real time: the preview outlasts several.
  const start = t.clock.at;
  const t0 = performance.now();
  t.clock.now = () => start + Math.round((performance.now() - t0) * (LEASE_MS / 200));
  await t.dispatcher.sweep();
  let attempts = 1;
  let sweeping = true;
  const sweeper = (async () => {
    while (sweeping) {
      await new Promise((r) => setTimeout(r, 5));
      attempts = Math.max(attempts, (await getJob(t.db, job.value.id))?.value.attempts ?? 0);
      await t.dispatcher.sweep();
    }
  })();
  await t.dispatcher.idle();
  sweeping = false;
  await sweeper;
  await t.dispatcher.idle();
  assert.equal(attempts, 1, "the preview was started again while it was still running");
  const admin = await signedIn(t, "admin");
  assert.match(await (await admin.get(url)).text(), /Roster import: Ready to apply/);
  t.close();
});
