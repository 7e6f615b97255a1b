/**
 * Hostile input over every route the router has, as every role: never a
 * 5xx, and a refused request changes nothing in KV.
 *
 * The routes come from the app itself (`app.routes`), and the fields and
 * query parameters from the forms and links the pages offer, so a new route
 * or field is covered without anyone remembering to list it. Each route
 * starts from a copy of the same KV, so what one route's requests change
 * cannot hide another's failure.
 */
import assert from "node:assert/strict";
import { strToU8, zipSync } from "fflate";
import { Client, makeDue, NOW, settle, signedIn, testApp } from "./support/app.ts";
import { type Form, formsIn, kvWith, linksIn, patternOf, recordingKv, shapeOf } from "./support/fuzz.ts";
import { readDemoRoster } from "../services/demo.ts";
import { preferencesPath } from "../services/preferences.ts";
import { unsubscribePath, unsubscribeSecret } from "../services/unsubscribe.ts";
import { getPerson } from "../services/store/people.ts";
import { deliveriesOf } from "../services/store/deliveries.ts";
import { listOutbox } from "../services/store/outbox.ts";

const ROLES = ["admin", "office", "teacher", "comms"] as const;
type Role = typeof ROLES[number] | "signed out";

const HOSTILE: (string | string[])[] = [
  "",
  "x".repeat(3000),
  "😀🙈",
  "a\u0000b",
  "-1",
  "0",
  "1e309",
  "NaN",
  "99999999999999999999",
  "3.5",
  "__proto__",
  "constructor",
  "{{constructor}}",
  "9999-12-31",
  "0000-01-01",
  "+275760-09-13",
  "2026-02-30",
  "25:99",
  "../../etc/passwd",
  ["a", "b"],
];
/** Parameters every list or page might read, tried even where no link shows them. */
const GENERIC_QUERY = ["cursor", "next", "tab", "scope", "q"];

/** Keys a refused request may still write: a draft keeps what was typed, sign-in counts failures. */
const MAY_WRITE_WHEN_REFUSED = new Set(["draft", "sign_in_failures", "session"]);

interface Example {
  url: string;
  form?: Form;
  /** The page the form is on: after a post it must still render, whatever the post stored. */
  page?: string;
}

async function harvest() {
  const t = await testApp();
  const clients = new Map<Role, Client>([["signed out", new Client(t.app)]]);
  for (const role of ROLES) clients.set(role, await signedIn(t, role));
  const admin = clients.get("admin")!;

  // A message in a family's inbox, so their preferences link leads to Messages, one message and its attachment.
  await makeDue(t.db, "msg-field-trip", { modes: ["inbox"] });
  const run = (await t.dispatcher.startOccurrence("msg-field-trip", NOW))!;
  await settle(t);
  const reader = (await deliveriesOf(t.db, run.id, "inbox").next()).value!.value.personId;

  const seeds = ["/messages", "/messages?tab=in-progress", "/sent?scope=all", "/outbox", "/signin", "/setup"];
  seeds.push("/admin/users", "/admin/people", "/admin/roster", await preferencesPath(t.db, reader));
  // A General email's unsubscribe link: its page and its button.
  const [email] = (await getPerson(t.db, "gdn1"))!.value.devices;
  const target = { personId: "gdn1", deviceId: email.id, address: email.address };
  seeds.push(unsubscribePath(await unsubscribeSecret(t.db), target));
  // The Recipient Report's other address, and Edit Message (whose wizard links Cancel Message).
  seeds.push("/sent/R9M4T6HA3E7S", "/messages/msg-attendance/edit", "/admin/people?q=okafor");
  // A family sign-in link, as emailed: its page and its button.
  const family = new Client(t.app);
  await family.get("/family/signin");
  await (await family.post("/family/signin", { address: "kai.clark1@mail.example" })).body?.cancel();
  await t.background.settled();
  const mail = (await listOutbox(t.db)).items.find((e) => e.body.includes("/family/signin/"))!;
  seeds.push(new URL(mail.body.match(/https?:\/\/\S+\/family\/signin\/\S+/)![0]).pathname);
  // A roster import with a problem row to reach its pages, and a draft of each user's to reach the wizard's.
  const files = await readDemoRoster();
  files["users.csv"] += "a-row-with-too-few-fields\n";
  const zip = zipSync(Object.fromEntries(Object.entries(files).map(([n, text]) => [n, strToU8(text)])));
  const upload = await admin.postFiles("/admin/roster", {}, [{
    name: "roster.zip",
    bytes: zip,
    type: "application/zip",
  }]);
  seeds.push(upload.headers.get("Location")!);
  await t.dispatcher.drain();

  const examples = new Map<Role, Example[]>();
  for (const [role, client] of clients) {
    const found: Example[] = [];
    const queue = [...seeds];
    if (role !== "signed out") {
      const draft = (await client.post("/messages/new", {})).headers.get("Location")!;
      queue.push(draft, draft.replace(/recipients$/, "content"), draft.replace(/recipients$/, "send"));
    }
    const seen = new Set<string>();
    const shapes = new Map<string, number>();
    while (queue.length && seen.size < 300) {
      const url = queue.shift()!;
      const shape = shapeOf(url);
      if (seen.has(url) || (shapes.get(shape) ?? 0) >= 3) continue;
      seen.add(url);
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      found.push({ url });
      const res = await client.get(url);
      const location = res.headers.get("Location");
      if (location?.startsWith("/")) queue.unshift(location);
      const html = res.headers.get("Content-Type")?.includes("text/html") ? await res.text() : "";
      if (!html) await res.body?.cancel();
      for (const link of linksIn(html)) {
        if (!link.startsWith("/static/") && !seen.has(link)) queue.push(link);
      }
      for (const form of formsIn(html, url)) found.push({ url: form.action, form, page: url });
    }
    examples.set(role, found);
  }
  const entries = [];
  for await (const e of t.db.kv.list({ prefix: [] })) entries.push(e);
  const cookies = new Map([...clients].map(([role, c]) => [role, new Map(c.cookies)]));
  t.close();
  return { entries, examples, cookies };
}

function withField(fields: Map<string, string[]>, name: string, value: string | string[]): Map<string, string[]> {
  return new Map([...fields, [name, [value].flat()]]);
}

function requestFor(
  method: string,
  url: string,
  fields: Map<string, string[]>,
): { path: string; init: RequestInit } {
  if (method === "GET") {
    const [path, search = ""] = url.split("?");
    const query = new URLSearchParams(search);
    for (const name of fields.keys()) query.delete(name);
    for (const [name, values] of fields) for (const v of values) query.append(name, v);
    const qs = query.toString();
    return { path: qs ? `${path}?${qs}` : path, init: {} };
  }
  const body = new URLSearchParams();
  for (const [name, values] of fields) for (const v of values) body.append(name, v);
  return {
    path: url,
    init: { method, body, headers: { "Content-Type": "application/x-www-form-urlencoded" } },
  };
}

Deno.test("fuzz: every route, every role, hostile values in every parameter and field: no 5xx, refusals change nothing", async () => {
  const { entries, examples, cookies } = await harvest();
  const probe = await testApp();
  const routes = [...new Map(
    probe.app.routes.filter((r) => r.method === "GET" || r.method === "POST").map((r) => [`${r.method} ${r.path}`, r]),
  ).values()];
  probe.close();
  assert.ok(routes.length >= 40, `the router lists its routes (${routes.length})`);

  let requests = 0;
  const unreached: string[] = [];
  const failures = new Map<string, string>();
  for (const route of routes) {
    const pattern = patternOf(route.path.replace(/\*$/, "x"));
    const recorded = recordingKv(await kvWith(entries));
    const t = await testApp({ kv: recorded.kv });
    let reached = false;
    for (const role of ["signed out", ...ROLES] as Role[]) {
      const client = new Client(t.app);
      client.cookies = new Map(cookies.get(role));
      const own = examples.get(role)!.concat(examples.get("admin")!);
      const example = own.find((e) =>
        pattern.test(e.url.split("?")[0]) && (route.method === "GET" ? !e.form || e.form.method === "GET" : e.form)
      );
      if (example) reached = true;
      const url = example?.url ?? route.path.replace(/:[A-Za-z]+/g, "X").replace(/\*$/, "x");
      const base = new Map(example?.form?.fields ?? []);
      if (route.method === "POST") base.set("_csrf", [client.csrf]);
      const names = new Set([...base.keys()].filter((n) => n !== "_csrf"));
      if (route.method === "GET") {
        for (const [k] of new URLSearchParams(url.split("?")[1] ?? "")) names.add(k);
        for (const k of GENERIC_QUERY) names.add(k);
      }
      const attempts: { what: string; path: string; init: RequestInit }[] = [];
      const add = (what: string, r: { path: string; init: RequestInit }) => attempts.push({ what, ...r });
      add("as offered", requestFor(route.method, url, base));
      // Signed out, one request per value is enough: nothing past the sign-in guard runs.
      const values = role === "signed out" ? HOSTILE.slice(0, 3) : HOSTILE;
      for (const name of names) {
        for (const v of values) {
          add(`${name}=${JSON.stringify(v).slice(0, 20)}`, requestFor(route.method, url, withField(base, name, v)));
        }
      }
      const [path, search] = url.split("?");
      const segments = path.split("/");
      route.path.split("/").forEach((part, i) => {
        if (!part.startsWith(":") && part !== "*") return;
        for (const v of values) {
          if (Array.isArray(v) || v === "") continue;
          const hostile = segments.map((s, j) => (j === i ? encodeURIComponent(v) : s)).join("/");
          add(`${part}=${v.slice(0, 20)}`, requestFor(route.method, search ? `${hostile}?${search}` : hostile, base));
        }
      });
      if (route.method === "POST") {
        for (const type of ["multipart/form-data", "multipart/form-data; boundary=nope"]) {
          attempts.push({
            what: `a broken body (${type})`,
            path: url,
            init: {
              method: "POST",
              body: '--other\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--other--\r\n',
              headers: { "Content-Type": type, "X-CSRF-Token": client.csrf },
            },
          });
        }
      }
      for (const a of attempts) {
        recorded.writes.length = 0;
        const res = await client.request(a.path, a.init);
        await res.arrayBuffer();
        requests++;
        const where = `${role}: ${route.method} ${route.path} with ${a.what} (${a.path.slice(0, 120)})`;
        // One failure per route and field is enough to read: the rest are usually the same bug.
        const kind = `${route.method} ${route.path} ${a.what.split("=")[0]}`;
        if (res.status >= 500) failures.set(kind, `${where} answered ${res.status}`);
        const refused = res.status >= 400 || res.headers.get("Location")?.startsWith("/signin");
        const writes = recorded.writes.filter((k) => !MAY_WRITE_WHEN_REFUSED.has(String(k[1])));
        if (refused && writes.length) {
          failures.set(kind, `${where} was refused (${res.status}) but wrote ${JSON.stringify(writes).slice(0, 200)}`);
        }
        if (route.method === "POST" && example?.page) {
          const again = await client.get(example.page);
          await again.arrayBuffer();
          if (again.status >= 500) failures.set(kind, `${where}, then GET ${example.page} answered ${again.status}`);
        }
      }
    }
    if (!reached && route.path.includes(":")) unreached.push(`${route.method} ${route.path}`);
    t.close();
  }
  console.log(`fuzz: ${routes.length} routes, ${requests} requests`);
  assert.deepEqual([...failures.values()], [], "hostile requests that were not refused cleanly");
  // Webhooks are signed by Twilio and have no page linking them: tests/webhooks_test.ts covers them with signatures.
  assert.deepEqual(unreached.filter((r) => !r.includes("/webhooks/")), [], "routes no page led to (no real ids tried)");
});
