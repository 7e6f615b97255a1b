import { type Message, Message as MessageSchema, Run } from "../model.ts";
import { isFinished } from "../dispatch/run_status.ts";
import { type Db, type EntityDef, getEntity, saveEntity, stageEntity, type Versioned } from "./kv.ts";

/** Index prefixes of In Progress runs (Processing, Sending, Canceling, Failed). */
export const activeIndex = {
  all: (db: Db): Deno.KvKey => [db.districtId, "run_active"],
  byCreator: (
    db: Db,
    userId: string,
  ): Deno.KvKey => [db.districtId, "run_active_by_creator", userId],
  byCalendar: (
    db: Db,
    calendarId: string,
  ): Deno.KvKey => [db.districtId, "run_active_by_calendar", calendarId],
};

/** Index prefixes of finished runs (Sent, or Canceled during sending), by when they finished. */
export const doneIndex = {
  all: (db: Db): Deno.KvKey => [db.districtId, "run_done"],
  byCreator: (db: Db, userId: string): Deno.KvKey => [db.districtId, "run_done_by_creator", userId],
};

/** The content a run sends: a copy taken when it started, so later edits do not change it. */
export const runMessageKey = (db: Db, runId: string): Deno.KvKey => [db.districtId, "run_message", runId];

export async function getRunMessage(db: Db, runId: string): Promise<Message | null> {
  const e = await db.kv.get(runMessageKey(db, runId));
  return e.value ? MessageSchema.parse(e.value) : null;
}

/** Adds to `op` the run's copy of its content; null deletes it. */
export function stageRunMessage(
  op: Deno.AtomicOperation,
  db: Db,
  runId: string,
  message: Message | null,
): Deno.AtomicOperation {
  return message ? op.set(runMessageKey(db, runId), MessageSchema.parse(message)) : op.delete(runMessageKey(db, runId));
}

const runDef: EntityDef<Run> = {
  schema: Run,
  key: (db, r) => [db.districtId, "run", r.id],
  indexes: (db, r) => {
    const history = [{
      key: [db.districtId, "run_by_message", r.messageId, r.startedAt, r.id],
      value: r.id,
    }];
    if (isFinished(r)) {
      const finishedAt = r.transitions.at(-1)?.at ?? r.startedAt;
      return [
        ...history,
        { key: [...doneIndex.all(db), finishedAt, r.id], value: r },
        { key: [...doneIndex.byCreator(db, r.message.created.userId), finishedAt, r.id], value: r },
      ];
    }
    return [
      ...history,
      { key: [...activeIndex.all(db), r.startedAt, r.id], value: r },
      {
        key: [
          ...activeIndex.byCreator(db, r.message.created.userId),
          r.startedAt,
          r.id,
        ],
        value: r,
      },
      {
        key: [
          ...activeIndex.byCalendar(db, r.message.calendarId),
          r.startedAt,
          r.id,
        ],
        value: r,
      },
    ];
  },
};

/** Adds a run change to a larger atomic operation. */
export function stageRun(
  op: Deno.AtomicOperation,
  db: Db,
  previous: Versioned<Run> | null,
  next: Run | null,
): Deno.AtomicOperation {
  return stageEntity(op, db, runDef, previous, next);
}

/** A message's runs, oldest first: each one's id and when it started. */
export async function runsOfMessage(db: Db, messageId: string): Promise<{ id: string; startedAt: number }[]> {
  const out = [];
  for await (const e of db.kv.list<string>({ prefix: [db.districtId, "run_by_message", messageId] })) {
    out.push({ id: e.value, startedAt: e.key[3] as number });
  }
  return out;
}

export function getRun(db: Db, id: string): Promise<Versioned<Run> | null> {
  return getEntity(db, Run, [db.districtId, "run", id]);
}

export function saveRun(
  db: Db,
  previous: Versioned<Run> | null,
  next: Run | null,
): Promise<string> {
  return saveEntity(db, runDef, previous, next);
}

async function* runsIndexedBefore(db: Db, prefix: Deno.KvKey, before: number): AsyncGenerator<Run> {
  for await (const e of db.kv.list({ start: [...prefix, 0], end: [...prefix, before] }, { batchSize: 200 })) {
    yield Run.parse(e.value);
  }
}

/** Finished runs (Sent, Canceled) that finished before `before`. */
export function runsFinishedBefore(db: Db, before: number): AsyncGenerator<Run> {
  return runsIndexedBefore(db, doneIndex.all(db), before);
}

/** In Progress runs (Failed among them) that started before `before`. */
export function activeRunsStartedBefore(db: Db, before: number): AsyncGenerator<Run> {
  return runsIndexedBefore(db, activeIndex.all(db), before);
}
