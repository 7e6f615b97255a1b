/**
 * Roster import at district scale: a OneRoster 1.1 zip of 50,000 students,
 * 80,000 guardians and 4,000 staff in 60 schools, imported into the demo
 * district (whose own people the bulk users.csv then removes) on a KV file
 * like production's, through the steps an administrator's upload takes:
 * createImport → buildPreview → startApply → applyImport, the apply run as
 * the `roster_apply` job runs it, its lease renewed after every change chunk.
 *
 * The full-size figures take about a minute, so they are made once, in the
 * call Deno makes first (unmeasured), and printed:
 *   1. the first import: upload + preview, apply, total, people per second,
 *      peak RSS; and the most checks, mutations, bytes and key bytes one
 *      commit took and the largest value written, against KV's limits;
 *   2. the same files again: the preview time, and that it finds nothing to change;
 *   3. the files with 1% of guardians given a new mobile number and 0.5%
 *      gone: preview and apply;
 *   4. the app meanwhile: Upcoming Messages (/messages) and the import's page
 *      (/admin/roster/:id, the progress bar) requested through the app as the
 *      signed-in demo administrator, and the largest school's students read
 *      from its index, a round of the three every 100 ms, timed during the
 *      first apply (in the same process, so the apply's time includes them)
 *      and then with nothing else running.
 * The measured calls that follow import a 1,000-student set into a new demo
 * district; beside them, parsing and checking that set alone.
 *
 * The sets are generated from a fixed seed, so every run imports the same
 * people. ROSTER_BENCH_STUDENTS scales the full-size one (default 50,000;
 * guardians are 1.6 times as many, staff 8%).
 */
import { zipSync } from "fflate";
import { serialize } from "node:v8";
import { createApp } from "../app.ts";
import { seedDemo } from "../services/demo.ts";
import { claimJob, newJob, renewLease } from "../services/dispatch/jobs.ts";
import { stageJobUpdate, stageNewJob } from "../services/store/jobs.ts";
import { Dispatcher } from "../services/dispatch/dispatcher.ts";
import { outboxProviders } from "../services/providers/outbox.ts";
import type { UploadedFile } from "../services/roster/csv.ts";
import { collectFiles } from "../services/roster/csv.ts";
import { applyImport, startApply } from "../services/roster/apply.ts";
import { discardImport } from "../services/roster/import.ts";
import { buildPreview } from "../services/roster/preview.ts";
import { createImport } from "../services/roster/upload.ts";
import { getImport, type RosterImport } from "../services/store/roster_imports.ts";
import { parseRoster } from "../services/roster/oneroster.ts";
import type { Db } from "../services/store/kv.ts";
import { listPeopleInSchool } from "../services/store/people.ts";
import { Client, NOW, TestClock } from "../tests/support/app.ts";
import { Background } from "../services/background.ts";

const STUDENTS = Number(Deno.env.get("ROSTER_BENCH_STUDENTS") ?? 50_000);
if (!Number.isInteger(STUDENTS) || STUDENTS < 100) {
  throw new Error("ROSTER_BENCH_STUDENTS: a whole number of students, at least 100");
}
const SEED = 20261126;

// ---- A district's OneRoster set, from a seed.

/** mulberry32: small, fast, and the same numbers on every machine. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)],
    chance: (p: number) => next() < p,
    /** A GUID-shaped id, as many student information systems export them. */
    guid: () => {
      const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");
      return `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[int(4)]}${hex(3)}-${hex(12)}`;
    },
  };
}
type Random = ReturnType<typeof random>;

const FIRST = (
  "Olivia,Liam,Emma,Noah,Amelia,Oliver,Sophia,Elijah,Charlotte,Mateo,Ava,Lucas,Isabella,Levi,Mia,Ethan," +
  "Evelyn,James,Harper,Asher,Luna,Leo,Camila,Aiden,Sofia,Jackson,Aaliyah,Muhammad,Fatima,Omar,Hodan," +
  "Abdi,Ayaan,Xochitl,José,María,Zoë,Chloé,Renée,Seo-yeon,Min-jun,Ngọc,Huy,Pa Nhia,Kou,Mai,Tou,Priya," +
  "Arjun,Ananya,Keisha,DeShawn,Imani,Jamal,Aisha,Siobhan,Declan,Freya,Søren,Anneliese,Mohammed,Yusuf," +
  "Kiara,Dakota,Winona,Grace,Henry,Nora,Samuel,Hazel,Julian,Violet"
).split(",");
const LAST = (
  "Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,Hernández,Lopez,Gonzalez," +
  "Wilson,Anderson,Thomas,Taylor,Moore,Jackson,Martin,Lee,Pérez,Thompson,White,Harris,Sánchez,Clark," +
  "Ramirez,Lewis,Robinson,Walker,Young,Allen,King,Wright,Scott,Nguyen,Nguyễn,Tran,Vang,Xiong,Yang,Lor," +
  "Her,Thao,Ali,Mohamed,Hassan,Abdi,Warsame,Kim,Park,Patel,Shah,Olson,Johnson-Ruiz,Hansen,Larson," +
  "Peterson,Nelson,O'Brien,O'Connor,McAllister,Van der Berg,St. John,Dubois,Østergaard,Kowalski,Nowak," +
  "Schmidt,Becker,Yazzie,Begay,Whitehorse"
).split(",");
const MAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example", "inbox.example"];
const AREA_CODES = ["612", "651", "763", "952", "320"];
const STAFF_DOMAIN = "northstar.k12.example";
const STUDENT_DOMAIN = "students.northstar.k12.example";

interface User {
  id: string;
  role: string;
  orgs: string[];
  first: string;
  last: string;
  email: string;
  sms: string;
  phone: string;
  agents: string[];
  grade: string;
}

interface DistrictSet {
  schools: { id: string; name: string }[];
  users: User[];
  counts: { students: number; guardians: number; staff: number };
}

const GRADE_CODES = ["KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];
const ascii = (s: string) =>
  s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ø/gi, "o").replace(/[^A-Za-z]/g, "").toLowerCase();

/** A US number in one of the shapes rosters carry: E.164, "(612) 555-0123", "612-555-0123". */
function phone(r: Random): string {
  const area = r.pick(AREA_CODES);
  let exchange = String(200 + r.int(800));
  if (exchange[1] === "1" && exchange[2] === "1") exchange = "555";
  const line = String(r.int(10_000)).padStart(4, "0");
  const shape = r.next();
  if (shape < 0.5) return `+1${area}${exchange}${line}`;
  if (shape < 0.8) return `(${area}) ${exchange}-${line}`;
  return `${area}-${exchange}-${line}`;
}

/**
 * 60 schools (40 elementary K–5, 12 middle 6–8, 8 high 9–12) with feeder
 * patterns; families of one or two children (siblings in the schools of
 * their grades), one to three guardians each, each guardian linked to the
 * family's children; staff in one school, a few in two, a few at the
 * district office. The counts are exact.
 */
function generateDistrict(students: number, seed = SEED): DistrictSet {
  const r = random(seed);
  const guardians = Math.round(students * 1.6);
  const staff = Math.round(students * 0.08);
  const schools: DistrictSet["schools"] = [];
  const streets = ["Lincoln", "Washington", "Jefferson", "Lakeview", "Riverside", "Oak Grove", "Cedar", "Maple"];
  for (let i = 0; i < 40; i++) {
    schools.push({ id: `sch-e${i + 1}`, name: `${streets[i % 8]} Elementary ${i + 1}` });
  }
  for (let i = 0; i < 12; i++) {
    schools.push({ id: `sch-m${i + 1}`, name: `${streets[i % 8]} Middle School ${i + 1}` });
  }
  for (let i = 0; i < 8; i++) {
    schools.push({ id: `sch-h${i + 1}`, name: `${streets[i % 8]} High School ${i + 1}` });
  }
  const schoolFor = (feeder: number, grade: number) =>
    grade <= 5
      ? `sch-e${feeder + 1}`
      : grade <= 8
      ? `sch-m${Math.floor(feeder * 12 / 40) + 1}`
      : `sch-h${Math.floor(feeder * 8 / 40) + 1}`;

  // Families: children first (exactly `students`), then guardians (exactly `guardians`).
  const families: { kids: number; feeder: number; last: string; guardians: number }[] = [];
  let nStudents = 0;
  while (nStudents < students) {
    const kids = r.chance(0.28) && nStudents + 2 <= students ? 2 : 1;
    const x = r.next();
    families.push({ kids, feeder: r.int(40), last: r.pick(LAST), guardians: x < 0.12 ? 1 : x < 0.85 ? 2 : 3 });
    nStudents += kids;
  }
  let total = families.reduce((n, f) => n + f.guardians, 0);
  while (total !== guardians) {
    const f = families[r.int(families.length)];
    if (total > guardians && f.guardians > 1) {
      f.guardians--;
      total--;
    } else if (total < guardians && f.guardians < 3) {
      f.guardians++;
      total++;
    }
  }

  const users: User[] = [];
  const used = new Map<string, number>();
  const email = (first: string, last: string, domain: string) => {
    const local = `${ascii(first)}.${ascii(last)}`;
    const n = (used.get(local) ?? 0) + 1;
    used.set(local, n);
    return `${local}${n > 1 ? n : ""}@${domain}`;
  };
  const studentRows: User[] = [];
  for (const fam of families) {
    const kids: User[] = [];
    for (let k = 0; k < fam.kids; k++) {
      const grade = r.int(13);
      const first = r.pick(FIRST);
      const u: User = {
        id: r.guid(),
        role: "student",
        orgs: [schoolFor(fam.feeder, grade)],
        first,
        last: fam.last,
        email: grade >= 6 ? email(first, fam.last, STUDENT_DOMAIN) : "",
        sms: grade >= 9 && r.chance(0.3) ? phone(r) : "",
        phone: "",
        agents: [],
        grade: GRADE_CODES[grade],
      };
      kids.push(u);
      studentRows.push(u);
    }
    let home = "";
    for (let g = 0; g < fam.guardians; g++) {
      const first = r.pick(FIRST);
      const last = g === 0 || r.chance(0.7) ? fam.last : r.pick(LAST);
      const sms = r.chance(0.85) ? phone(r) : "";
      // A home phone, shared by the family's guardians more often than not.
      const voice = home && r.chance(0.6) ? home : r.chance(0.3) ? phone(r) : r.chance(0.4) ? sms : "";
      if (!home && voice) home = voice;
      const u: User = {
        id: r.guid(),
        role: g < 2 ? "parent" : r.pick(["guardian", "relative"]),
        orgs: [...new Set(kids.map((k) => k.orgs[0]))],
        first,
        last,
        email: r.chance(0.9) ? email(first, last, r.pick(MAIL_DOMAINS)) : "",
        sms,
        phone: voice,
        agents: kids.map((k) => k.id),
        grade: "",
      };
      for (const k of kids) k.agents.push(u.id);
      users.push(u);
    }
  }
  users.unshift(...studentRows);
  for (let i = 0; i < staff; i++) {
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const x = r.next();
    const orgs = x < 0.02
      ? ["district"]
      : x < 0.05
      ? [r.pick(schools).id, r.pick(schools).id].filter((s, j, a) => a.indexOf(s) === j)
      : [r.pick(schools).id];
    const sms = r.chance(0.7) ? phone(r) : "";
    users.push({
      id: r.guid(),
      role: x < 0.1 ? "administrator" : x < 0.25 ? "aide" : "teacher",
      orgs,
      first,
      last,
      email: email(first, last, STAFF_DOMAIN),
      sms,
      phone: r.chance(0.2) ? phone(r) : sms,
      agents: [],
      grade: "",
    });
  }
  return { schools, users, counts: { students, guardians, staff } };
}

/** The set with `changed` of its guardians given a new mobile number and `removed` of them gone. */
function alterGuardians(set: DistrictSet, changedShare: number, removedShare: number) {
  const r = random(SEED + 1);
  const guardians = set.users.filter((u) => u.role !== "student" && u.agents.length > 0);
  const order = guardians.map((g) => [r.next(), g.id] as const).sort((a, b) => a[0] - b[0]);
  const changed = new Set(order.slice(0, Math.round(guardians.length * changedShare)).map((x) => x[1]));
  const removed = new Set(
    order.slice(changed.size, changed.size + Math.round(guardians.length * removedShare)).map((x) => x[1]),
  );
  const users: User[] = [];
  for (const u of set.users) {
    if (removed.has(u.id)) continue;
    if (changed.has(u.id)) {
      users.push({ ...u, sms: `+1${r.pick(AREA_CODES)}${700 + r.int(100)}${String(r.int(10_000)).padStart(4, "0")}` });
    } else if (u.role === "student" && u.agents.some((a) => removed.has(a))) {
      users.push({ ...u, agents: u.agents.filter((a) => !removed.has(a)) });
    } else users.push(u);
  }
  return { set: { ...set, users }, changed: changed.size, removed: removed.size };
}

const USERS_HEADER = ("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName," +
  "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password").split(",");
const cell = (s: string) => /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
const csv = (rows: string[][]) => rows.map((r) => r.map(cell).join(",")).join("\n") + "\n";

/** The OneRoster zip a student information system would export, and its users.csv's size. */
function oneRosterZip(set: DistrictSet): UploadedFile & { usersCsv: number } {
  const enc = new TextEncoder();
  const files = {
    "manifest.csv": csv([
      ["propertyName", "value"],
      ["manifest.version", "1.0"],
      ["oneroster.version", "1.1"],
      ["file.academicSessions", "bulk"],
      ["file.categories", "absent"],
      ["file.classes", "absent"],
      ["file.classResources", "absent"],
      ["file.courses", "absent"],
      ["file.courseResources", "absent"],
      ["file.demographics", "absent"],
      ["file.enrollments", "absent"],
      ["file.lineItems", "absent"],
      ["file.orgs", "bulk"],
      ["file.resources", "absent"],
      ["file.results", "absent"],
      ["file.users", "bulk"],
      ["source.systemName", "Roster bench"],
    ]),
    "orgs.csv": csv([
      ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
      ["district", "", "", "North Star Public Schools", "district", "", ""],
      ...set.schools.map((s) => [s.id, "", "", s.name, "school", "", "district"]),
    ]),
    "academicSessions.csv": csv([
      "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear".split(","),
      ["sy-2026", "", "", "2026-27", "schoolYear", "2026-08-19", "2027-05-28", "", "2027"],
    ]),
    "users.csv": csv([
      USERS_HEADER,
      ...set.users.map((u) => {
        const cells: Record<string, string> = {
          sourcedId: u.id,
          dateLastModified: "2026-08-01T12:00:00.000Z",
          enabledUser: "true",
          orgSourcedIds: u.orgs.join(","),
          role: u.role,
          username: u.email,
          givenName: u.first,
          familyName: u.last,
          email: u.email,
          sms: u.sms,
          phone: u.phone,
          agentSourcedIds: u.agents.join(","),
          grades: u.grade,
        };
        return USERS_HEADER.map((c) => cells[c] ?? "");
      }),
    ]),
  };
  const encoded = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, enc.encode(v)]));
  return { name: "oneroster.zip", bytes: zipSync(encoded), usersCsv: encoded["users.csv"].length };
}

// ---- Instruments: RSS, KV commits, latency.

/** The highest RSS and JS heap in use seen, sampled every 50 ms until stopped. */
function memoryPeak() {
  const peak = { rss: 0, heap: 0 };
  const sample = () => {
    const m = Deno.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

interface CommitAudit {
  commits: number;
  /** The most any one commit had of each, against KV's limits. */
  checks: number;
  mutations: number;
  bytes: number;
  keyBytes: number;
  /** The largest value written. */
  value: number;
}

/** KV's limits (denokv_proto/limits.rs; the local SQLite KV enforces them too). */
const LIMITS = { checks: 100, mutations: 1000, bytes: 800 * 1024, keyBytes: 80 * 1024, value: 64 * 1024 };

/** A key's size as KV encodes it (FoundationDB tuple layer): a string is its bytes and 2, a number 9. */
function keySize(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) {
    n += typeof part === "string" ? part.length + 2 : part instanceof Uint8Array ? part.length + 2 : 9;
  }
  return n;
}

const sizes = new WeakMap<object, number>();
/**
 * A value's size as KV stores it (V8's serialization): bytes and strings
 * as they are; other values by their JSON length (a little over V8's size
 * for ASCII text, and cached, since a person is written once per index), or
 * exactly when that is over 4 KB, where the 64 KiB limit could be near.
 */
function valueSize(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === "string") return value.length + 4;
  if (typeof value !== "object" || value === null) return 9;
  let n = sizes.get(value);
  if (n === undefined) {
    try {
      n = JSON.stringify(value).length;
    } catch {
      n = Infinity; // a BigInt inside: measured exactly below
    }
    if (n > 4096) n = serialize(value).byteLength;
    sizes.set(value, n);
  }
  return n;
}

/**
 * A KV whose commits are measured against KV's limits: the most checks,
 * mutations, bytes and key bytes any one commit took, and the largest value.
 */
function audited(kv: Deno.Kv): { kv: Deno.Kv; audit: CommitAudit; reset(): void } {
  const audit: CommitAudit = { commits: 0, checks: 0, mutations: 0, bytes: 0, keyBytes: 0, value: 0 };
  const record = (c: { checks: number; mutations: number; bytes: number; keyBytes: number }) => {
    audit.commits++;
    audit.checks = Math.max(audit.checks, c.checks);
    audit.mutations = Math.max(audit.mutations, c.mutations);
    audit.bytes = Math.max(audit.bytes, c.bytes);
    audit.keyBytes = Math.max(audit.keyBytes, c.keyBytes);
  };
  const wrap = (op: Deno.AtomicOperation): Deno.AtomicOperation => {
    const c = { checks: 0, mutations: 0, bytes: 0, keyBytes: 0 };
    const mutate = (key: Deno.KvKey, value?: unknown) => {
      const k = keySize(key);
      const v = value === undefined ? 0 : valueSize(value);
      audit.value = Math.max(audit.value, v);
      c.mutations++, c.keyBytes += k, c.bytes += k + v;
    };
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, prop) {
        switch (prop) {
          case "check":
            return (...checks: Deno.AtomicCheck[]) => {
              c.checks += checks.length;
              for (const x of checks) c.keyBytes += keySize(x.key);
              target.check(...checks);
              return proxy;
            };
          case "set":
            return (key: Deno.KvKey, value: unknown, o?: { expireIn?: number }) => {
              mutate(key, value);
              target.set(key, value, o);
              return proxy;
            };
          case "delete":
            return (key: Deno.KvKey) => {
              mutate(key);
              target.delete(key);
              return proxy;
            };
          case "commit":
            return () => {
              record(c);
              return target.commit();
            };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    return proxy;
  };
  const proxy = new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") return () => wrap(target.atomic());
      if (prop === "set") {
        return (key: Deno.KvKey, value: unknown, o?: { expireIn?: number }) => {
          const v = valueSize(value);
          audit.value = Math.max(audit.value, v);
          record({ checks: 0, mutations: 1, bytes: keySize(key) + v, keyBytes: keySize(key) });
          return target.set(key, value, o);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return {
    kv: proxy,
    audit,
    reset: () => Object.assign(audit, { commits: 0, checks: 0, mutations: 0, bytes: 0, keyBytes: 0, value: 0 }),
  };
}

function percentiles(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: s.at(-1) ?? 0 };
}
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const lat = (ms: number[]) => {
  const p = percentiles(ms);
  return `p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms, max ${p.max.toFixed(1)} ms (${p.n} requests)`;
};

// ---- The import, as the app runs it.

const BY = { userId: "admin", name: "Dana Whitfield", at: new Date(NOW).toISOString() };
const iso = () => new Date().toISOString();

/** Upload and preview, as POST /admin/roster and the `roster_preview` job do. */
async function preview(db: Db, upload: UploadedFile): Promise<RosterImport> {
  const created = await createImport(db, [upload], BY);
  const previewed = await buildPreview(db, created.id);
  if (previewed.status !== "ready") throw new Error(`the preview ended ${previewed.status}: ${previewed.error}`);
  return previewed;
}

/** Confirm and apply, as POST /admin/roster/:id/apply and the `roster_apply` job do (lease renewed per chunk). */
async function apply(db: Db, id: string, clock: TestClock): Promise<RosterImport> {
  const job = newJob("roster_apply", id, clock.now());
  const started = await startApply(db, id, BY, { skipProblems: false }, (op) => stageNewJob(op, db, job));
  if (started !== "started") throw new Error(`the import could not be applied: ${started}`);
  let held = await claimJob(db, job.id, clock.now());
  if (!held) throw new Error("could not claim the apply job");
  const done = await applyImport(db, id, iso, 0, async (next) => {
    const renewed = await renewLease(db, { ...held!, value: { ...held!.value, progress: next } }, clock.now());
    if (renewed) held = renewed;
    return renewed !== null;
  });
  await stageJobUpdate(db.kv.atomic(), db, held, null).commit();
  if (done.status !== "applied") throw new Error(`the apply ended ${done.status}: ${done.error}`);
  return done;
}

interface Reads {
  messages: number[];
  progress: number[];
  school: number[];
  /** The longest the import's progress stood still between two rounds, in ms. */
  stillMs: number;
  /** How many different progress values the rounds saw. */
  steps: number;
}

/** Pause between rounds of reads: three requests, then this, is a busy office. */
const READ_PAUSE_MS = 100;

/**
 * What people do in the app meanwhile, timed: Upcoming Messages and the
 * import's page (the progress bar) through the app, and a school's students
 * from its index (what a recipient preview reads). Rounds until `stop.done`,
 * or `stop` rounds.
 */
async function timeReads(
  t: { client: Client; db: Db; school: string; importId: string },
  stop: { done: boolean } | number,
): Promise<Reads> {
  const out: Reads = { messages: [], progress: [], school: [], stillMs: 0, steps: 0 };
  const timed = async (list: number[], fn: () => Promise<void>) => {
    const start = performance.now();
    await fn();
    list.push(performance.now() - start);
  };
  const page = async (path: string) => {
    const res = await t.client.get(path);
    await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  };
  let seen = -1;
  let since = performance.now();
  for (let i = 0; typeof stop === "number" ? i < stop : !stop.done; i++) {
    await timed(out.messages, () => page("/messages"));
    await timed(out.progress, () => page(`/admin/roster/${t.importId}`));
    await timed(out.school, async () => void await listPeopleInSchool(t.db, t.school, "student"));
    const done = (await getImport(t.db, t.importId))?.value.progress.done ?? 0;
    if (done !== seen) {
      out.stillMs = Math.max(out.stillMs, performance.now() - since);
      since = performance.now();
      seen = done;
      out.steps++;
    }
    await new Promise((r) => setTimeout(r, READ_PAUSE_MS));
  }
  return out;
}

interface Site {
  db: Db;
  audit: ReturnType<typeof audited>;
  clock: TestClock;
  client: Client;
  close(): Promise<void>;
}

/** The demo district on a new KV file, its app, and the demo administrator signed in. */
async function site(): Promise<Site> {
  const dir = await Deno.makeTempDir({ prefix: "roster_bench" });
  const raw = await Deno.openKv(`${dir}/messenger.kv`);
  const audit = audited(raw);
  const db = { kv: audit.kv, districtId: "demo" };
  const clock = new TestClock(NOW);
  await seedDemo(db, clock);
  const providers = outboxProviders(db, clock);
  const publicUrl = "http://127.0.0.1:9";
  const dispatcher = new Dispatcher({ db, clock, providers, publicUrl });
  const app = createApp({
    db,
    background: new Background(),
    clock,
    demo: true,
    secureCookies: false,
    refreshMs: 60_000,
    dispatcher,
    providers,
    providerNames: providers.names,
    publicUrl,
  });
  const client = new Client(app);
  const res = await client.signIn("admin", "demo-admin");
  await res.body?.cancel();
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return {
    db,
    audit,
    clock,
    client,
    close: async () => {
      raw.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const people = (s: DistrictSet) => s.counts.students + s.counts.guardians + s.counts.staff;
const sum = (k: { student: number; guardian: number; staff: number }) => k.student + k.guardian + k.staff;
const changes = (i: RosterImport) => ({
  add: sum(i.summary!.add),
  update: sum(i.summary!.update),
  remove: sum(i.summary!.remove),
  unchanged: i.summary!.unchanged,
});

/** The full-size zips, and what the bench checks them against. */
function fullSizeFiles(students: number) {
  const set = generateDistrict(students);
  const altered = alterGuardians(set, 0.01, 0.005);
  // The school with the most students: the read an apply would slow most.
  const bySchool = new Map<string, number>();
  for (const u of set.users) if (u.role === "student") bySchool.set(u.orgs[0], (bySchool.get(u.orgs[0]) ?? 0) + 1);
  const [school, schoolStudents] = [...bySchool].sort((a, b) => b[1] - a[1])[0];
  return {
    zip: oneRosterZip(set),
    zip2: oneRosterZip(altered.set),
    counts: set.counts,
    schools: set.schools.length,
    people: people(set),
    changed: altered.changed,
    removed: altered.removed,
    school,
    schoolStudents,
  };
}

const GENERATOR = "roster-bench-generator";
type Files = ReturnType<typeof fullSizeFiles>;
type WorkerScope = { postMessage(m: unknown, transfer: Transferable[]): void; onmessage: (e: MessageEvent) => void };

/**
 * The full-size files, made in a worker: the generated people (hundreds of
 * MiB) go with it, so the RSS figures are the import's, not the generator's.
 */
async function fullSizeFilesInWorker(): Promise<Files> {
  const worker = new Worker(import.meta.url, { type: "module", name: GENERATOR });
  try {
    return await new Promise<Files>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<Files>) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      worker.postMessage(STUDENTS);
    });
  } finally {
    worker.terminate();
  }
}

async function fullSize(): Promise<void> {
  let t = performance.now();
  const { zip, zip2, counts, school, schoolStudents, ...expect } = await fullSizeFilesInWorker();
  console.log(
    `\n  OneRoster zip: ${fmt(counts.students)} students, ${fmt(counts.guardians)} guardians, ` +
      `${fmt(counts.staff)} staff, ${expect.schools} schools; ${mib(zip.bytes.length)} ` +
      `(users.csv ${mib(zip.usersCsv)}), generated in ${seconds(performance.now() - t)}`,
  );
  const s = await site();
  try {
    const { db, audit } = s;
    const reading = { client: s.client, db, school };

    // 1. The first import, with the app in use meanwhile (4).
    audit.reset();
    const before = Deno.memoryUsage();
    let peak = memoryPeak();
    t = performance.now();
    const first = await preview(db, zip);
    const previewMs = performance.now() - t;
    const previewPeak = peak();
    const c1 = changes(first);
    if (first.summary!.problems > 0) throw new Error(`the generated roster has ${first.summary!.problems} problems`);
    if (c1.add !== expect.people) throw new Error(`expected ${expect.people} people to add, the preview has ${c1.add}`);
    const stop = { done: false };
    peak = memoryPeak();
    const during = timeReads({ ...reading, importId: first.id }, stop);
    t = performance.now();
    await apply(db, first.id, s.clock);
    const applyMs = performance.now() - t;
    stop.done = true;
    const busy = await during;
    const applyPeak = peak();
    const applied = c1.add + c1.remove;
    const rate = (ms: number) => fmt(applied / (ms / 1000));
    console.log(
      `  1. First import: upload + preview ${seconds(previewMs)}, apply ${seconds(applyMs)}, total ` +
        `${seconds(previewMs + applyMs)}: ${fmt(c1.add)} people added and the demo's ${fmt(c1.remove)} removed; ` +
        `${rate(applyMs)} people/s applied, ${rate(previewMs + applyMs)}/s from upload to applied`,
    );
    console.log(
      `     Memory: RSS ${mib(before.rss)} before the upload, at most ${mib(previewPeak.rss)} in the preview and ` +
        `${mib(applyPeak.rss)} in the apply; JS heap in use ${mib(before.heapUsed)}, at most ` +
        `${mib(previewPeak.heap)} and ${mib(applyPeak.heap)}`,
    );
    const a = audit.audit;
    console.log(
      `     KV: ${fmt(a.commits)} commits; the most in one: ${a.checks} checks (limit ${LIMITS.checks}), ` +
        `${a.mutations} mutations (${fmt(LIMITS.mutations)}), ${kib(a.bytes)} (${kib(LIMITS.bytes)}), ` +
        `keys ${kib(a.keyBytes)} (${kib(LIMITS.keyBytes)}); largest value ${kib(a.value)} (${kib(LIMITS.value)})`,
    );

    // 4. The same reads with nothing else running, for comparison.
    const idle = await timeReads({ ...reading, importId: first.id }, 60);
    console.log(`  4. The app, idle / while the first apply runs (a round of the three every ${READ_PAUSE_MS} ms):`);
    console.log(`     /messages (demo admin)      idle ${lat(idle.messages)}`);
    console.log(`                                apply ${lat(busy.messages)}`);
    console.log(`     /admin/roster/:id           idle ${lat(idle.progress)}`);
    console.log(`                                apply ${lat(busy.progress)}`);
    console.log(`     ${school}'s ${fmt(schoolStudents)} students  idle ${lat(idle.school)}`);
    console.log(`                                apply ${lat(busy.school)} (the school filling up meanwhile)`);
    console.log(
      `     The progress bar moved ${busy.steps} times; it stood still at most ${seconds(busy.stillMs)}`,
    );

    // 2. The same files again.
    t = performance.now();
    const again = await preview(db, zip);
    const againMs = performance.now() - t;
    const c2 = changes(again);
    if (c2.add + c2.update + c2.remove !== 0) {
      throw new Error(`re-importing the same files finds changes: ${JSON.stringify(c2)}`);
    }
    await discardImport(db, again.id);
    console.log(`  2. The same files again: preview ${seconds(againMs)}, ${fmt(c2.unchanged)} unchanged, 0 changes`);

    // 3. 1% of guardians with a new number, 0.5% gone.
    t = performance.now();
    const third = await preview(db, zip2);
    const thirdPreviewMs = performance.now() - t;
    const c3 = changes(third);
    if (c3.update !== expect.changed || c3.remove !== expect.removed || c3.add !== 0) {
      throw new Error(
        `expected ${expect.changed} updates and ${expect.removed} removals, the preview has ${JSON.stringify(c3)}`,
      );
    }
    t = performance.now();
    await apply(db, third.id, s.clock);
    const thirdApplyMs = performance.now() - t;
    console.log(
      `  3. ${fmt(expect.changed)} guardians with a new mobile number, ${fmt(expect.removed)} gone: ` +
        `preview ${seconds(thirdPreviewMs)}, apply ${seconds(thirdApplyMs)}`,
    );
    // KV itself refuses a commit over its limits (the import would have thrown); this is the estimate's word.
    for (const k of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
      const most = audit.audit[k];
      if (most > LIMITS[k]) throw new Error(`a commit went over KV's limit on ${k}: ${most} > ${LIMITS[k]}`);
    }
  } finally {
    await s.close();
  }
}

// ---- The benches.

if ((globalThis as { name?: string }).name === GENERATOR) {
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = (e: MessageEvent<number>) => {
    const files = fullSizeFiles(e.data);
    scope.postMessage(files, [files.zip.bytes.buffer, files.zip2.bytes.buffer]);
  };
} else {
  const small = generateDistrict(1000, SEED + 2);
  const smallZip = oneRosterZip(small);
  let calls = 0;

  Deno.bench({
    name: `Roster import, ${fmt(people(small))} people (upload + preview + apply, KV file)`,
    group: "roster import",
    n: 1,
    warmup: 0,
    async fn(b) {
      if (calls++ === 0) {
        await fullSize();
        return;
      }
      const s = await site();
      try {
        b.start();
        const i = await preview(s.db, smallZip);
        await apply(s.db, i.id, s.clock);
        b.end();
      } finally {
        await s.close();
      }
    },
  });

  Deno.bench({
    name: `Roster parse and check, ${fmt(people(small))} people (no KV)`,
    group: "roster import",
    async fn() {
      await parseRoster(await collectFiles([smallZip]));
    },
  });
}
