/** What the roster's tests share: a small OneRoster set, uploads, and a way to see the event loop turn. */
import { strToU8 } from "fflate";
import type { Db } from "../store/kv.ts";
import { problemsOf, type RosterImport } from "../store/roster_imports.ts";
import type { UploadedFile } from "./csv.ts";
import type { Problem } from "./oneroster.ts";
import { buildPreview } from "./preview.ts";
import { createImport } from "./upload.ts";

export const by = { userId: "usr-admin", name: "Dana Whitfield", at: "2026-11-26T16:00:00.000Z" };

export const USERS_HEAD =
  "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password";
export const ORGS = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n" +
  "d,,,District,district,,\ns1,,,School One,school,,d\n";

/** A users.csv of `n` students at s1, about 50 bytes a row. */
export const students = (n: number, from = 0): string =>
  USERS_HEAD + "\n" +
  Array.from({ length: n }, (_, i) => `u${from + i},,,true,s1,student,u${from + i},,Ann,Lee,,,,,,,03,`).join("\n") +
  "\n";

export const upload = (files: Record<string, string>): UploadedFile[] =>
  Object.entries(files).map(([name, text]) => ({ name, bytes: strToU8(text) }));

/** Upload + preview, without applying. */
export async function preview(db: Db, files: Record<string, string>): Promise<RosterImport> {
  const created = await createImport(db, upload(files), by);
  return await buildPreview(db, created.id);
}

export async function problems(db: Db, id: string): Promise<Problem[]> {
  const out = [];
  for await (const p of problemsOf(db, id)) out.push(p);
  return out;
}

/** How many times a timer ran while `work` did: long work must let the event loop turn. */
export async function loopTurnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let ticks = 0;
  let running = true;
  const ticker = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 0));
      ticks++;
    }
  })();
  const start = ticks;
  const result = await work();
  const turns = ticks - start;
  running = false;
  await ticker;
  return { result, turns };
}
