/**
 * Sending: one send job per mode of a run hands each of its deliveries to
 * the provider once it is due (its mode's delivery time; for General and
 * Priority calls, the dialing window), retries passing failures with
 * backoff, and leaves the rest to the finish job.
 *
 * Duplicate bound: a delivery is claimed (pending → sending, checked) before
 * its one provider call and recorded after it. A crash between the two
 * leaves it "sending"; after SEND_TIMEOUT_MS it is sent again, because we
 * cannot know whether the provider got it. So a crash can duplicate at most
 * the deliveries in flight at that moment: at most SEND_CONCURRENCY per
 * running send job, each at most once per crash. Nothing else is ever sent
 * twice, and nothing is lost: every claimed-but-unrecorded delivery is
 * retried.
 */
import { escapeHtml, type MergeContext, renderMerge } from "../merge.ts";
import { type District, type Message, type Mode, type Person } from "../model.ts";
import { type Accepted, ProviderError } from "../providers/types.ts";
import { attachmentStream } from "../store/attachments.ts";
import { advanceDelivery, deliveriesOf, type Delivery, moved } from "../store/deliveries.ts";
import { getCalendar, getDistrict, listSchools } from "../store/district.ts";
import type { Versioned } from "../store/kv.ts";
import { getPeople, setTextOptOut } from "../store/people.ts";
import { getRun, getRunMessage } from "../store/runs.ts";
import { fromWall, toWall } from "../time.ts";
import { type DispatchContext, done, nudge, reschedule } from "./context.ts";
import { type Job, renewLease } from "./jobs.ts";
import { applyEarlyStatus } from "./status_callbacks.ts";

export const SEND_CONCURRENCY = 8;
export const MAX_ATTEMPTS = 5;

/** A send job covers one mode of a run: each mode waits for its own delivery time. */
export async function sendMode(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const mode = job.value.mode!;
  const run = await getRun(db, job.value.runId);
  if (!run || run.value.status !== "sending") return done(ctx, job);
  const message = (await getRunMessage(db, run.value.id))!;
  const district = (await getDistrict(db))!;
  const now = ctx.clock.now();
  if (mode === "voice" && message.type !== "emergency") {
    const opens = nextDialingWindow(now, district);
    if (opens > now) return reschedule(ctx, job, opens);
  }
  const calendar = await getCalendar(db, message.calendarId);
  const school = (await listSchools(db)).find((s) => s.id === calendar?.schoolId) ?? { id: "", name: "" };
  const files = await attachments(ctx, message, mode);
  let current: Versioned<Job> | null = job;
  let later = Infinity;
  const queue: Versioned<Delivery>[] = [];
  for await (const d of deliveriesOf(db, run.value.id, mode)) {
    const s = d.value.state;
    const stale = s === "sending" && now - d.value.updatedAt > ctx.sendTimeoutMs;
    if (s !== "pending" && s !== "redial" && !stale) continue;
    if ((d.value.notBefore ?? 0) > now) later = Math.min(later, d.value.notBefore!);
    else queue.push(d);
  }
  // Everyone this job sends to (and their students), read in bulk rather than one read per delivery.
  const people = await getPeople(db, queue.flatMap((d) => [d.value.personId, ...d.value.studentIds]));
  let i = 0;
  let canceled = false;
  const worker = async () => {
    while (i < queue.length && !canceled) {
      const d = queue[i++];
      if (i % 50 === 0) {
        const latest = await getRun(db, run.value.id);
        if (latest?.value.status !== "sending") canceled = true;
        current = current && await renewLease(db, current, ctx.clock.now(), ctx.leaseMs);
        if (!current) canceled = true;
        if (canceled) return;
      }
      // One delivery's storage trouble must not abort the others; it is re-driven later.
      await deliver(ctx, d, message, district, school, files, people).catch((e) =>
        console.error(`dispatch: delivery ${d.value.id} of run ${d.value.runId}:`, e)
      );
    }
  };
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker));
  if (!current) return;
  if (canceled) {
    await done(ctx, current);
    return nudge(ctx, run.value.id, "cancel"); // The cancel need not wait for its next look.
  }
  // Retries and redials wait for their time; the rest is the finish job's.
  for await (const d of deliveriesOf(db, run.value.id, mode)) {
    if (d.value.state === "pending" || d.value.state === "redial") later = Math.min(later, d.value.notBefore ?? now);
    // Claimed by an instance that died: look again when it counts as cut off.
    if (d.value.state === "sending") later = Math.min(later, d.value.updatedAt + ctx.sendTimeoutMs + 1);
  }
  if (later < Infinity) return reschedule(ctx, current, Math.max(later, now + 1000));
  await done(ctx, current);
  return nudge(ctx, run.value.id, "finish"); // Nothing left to send: the run may be complete now.
}

async function attachments(ctx: DispatchContext, message: Message, mode: Mode) {
  if (mode !== "email") return [];
  const out = [];
  for (const a of message.attachments) {
    const chunks: Uint8Array[] = [];
    for await (const c of attachmentStream(ctx.db, message.id, a.id)) chunks.push(c);
    out.push({ filename: a.name, contentType: a.contentType, content: concat(chunks) });
  }
  return out;
}

/** One delivery: claim, one provider call, record. */
async function deliver(
  ctx: DispatchContext,
  d: Versioned<Delivery>,
  message: Message,
  district: District,
  school: { id: string; name: string },
  attachments: { filename: string; contentType: string; content: Uint8Array }[],
  people: Map<string, Person>,
) {
  const { db } = ctx;
  const now = ctx.clock.now();
  const claimed = await advanceDelivery(
    db,
    d,
    // A new attempt has no provider id until the provider answers it.
    moved(d.value, "sending", now, undefined, { attempts: d.value.attempts + 1, providerId: undefined }),
  );
  if (!claimed) return;
  const v = claimed.value;
  const person = people.get(v.personId);
  const students = v.studentIds.flatMap((id) => people.get(id) ?? []);
  if (person?.kind === "student") students.push(person);
  if (!person) {
    await advanceDelivery(db, claimed, moved(v, "failed", now, "the person was removed from the roster"));
    return;
  }
  const merge: MergeContext = { recipient: person, students, school, district };
  const fill = (s: string, html = false) => renderMerge(s, merge, html ? escapeHtml : undefined);
  const callback = `${ctx.options.publicUrl}/webhooks/twilio/status?d=${encodeURIComponent(db.districtId)}&r=${
    encodeURIComponent(v.runId)
  }&m=${v.mode}&id=${encodeURIComponent(v.id)}`;
  // Only the provider call is inside the try: a storage error afterwards is
  // not a failed send and must never make us send again.
  let accepted: Accepted;
  try {
    const p = ctx.providers;
    accepted = v.mode === "inbox"
      ? await deliverInbox(ctx, v, fill(message.subject), fill(message.content.inbox))
      : v.mode === "email"
      ? await p.sendEmail({
        to: v.address!,
        subject: fill(message.subject),
        html: fill(message.content.emailHtml, true),
        text: fill(message.content.emailText),
        messageId: `<${v.runId}.${v.id.replaceAll(/[^\w.-]/g, "_")}@messenger.${db.districtId}>`,
        attachments,
      })
      : v.mode === "text"
      ? await p.sendText({ to: v.address!, body: fill(message.content.text), statusCallback: callback })
      : await p.call({ to: v.address!, say: fill(message.content.voice), statusCallback: callback });
  } catch (e) {
    const err = e instanceof ProviderError ? e : new ProviderError(String((e as Error).message ?? e), false);
    if (err.code === "21610" && v.address) {
      await setTextOptOut(db, v.address, new Date(ctx.clock.now()).toISOString());
    }
    const permanent = err.permanent || v.attempts >= MAX_ATTEMPTS;
    await withKvRetry(() =>
      advanceDelivery(
        db,
        claimed,
        permanent
          ? moved(v, "failed", ctx.clock.now(), err.message, { errorCode: err.code, error: err.message })
          : moved(v, "pending", ctx.clock.now(), `retry: ${err.message}`, {
            errorCode: err.code,
            error: err.message,
            notBefore: ctx.clock.now() + backoff(v.attempts, err.retryAfter),
          }),
      )
    );
    return;
  }
  // If even the retried write fails, the delivery stays "sending" and is
  // resent only after the send timeout, exactly as after a crash.
  await withKvRetry(() =>
    advanceDelivery(
      db,
      claimed,
      moved(v, accepted.final ?? "sent", ctx.clock.now(), accepted.status, {
        providerId: accepted.providerId,
        providerStatus: accepted.status,
      }),
    )
  );
  // Only texts and calls have status callbacks that can arrive before this write.
  if (v.mode === "text" || v.mode === "voice") await applyEarlyStatus(ctx, { runId: v.runId, mode: v.mode, id: v.id });
}

async function deliverInbox(ctx: DispatchContext, v: Delivery, subject: string, body: string) {
  await ctx.db.kv.set([ctx.db.districtId, "inbox", v.personId, v.runId, v.id], {
    subject,
    body,
    at: ctx.clock.now(),
  });
  return { providerId: `inbox-${v.personId}`, status: "in the portal inbox", final: "delivered" as const };
}

/** The next instant voice may dial for General/Priority: now if inside the window. */
export function nextDialingWindow(now: number, district: District): number {
  const { date, time } = toWall(now, district.timeZone);
  const { start, end } = district.dialingWindow;
  if (time >= start && time < end) return now;
  const day = time < start ? date : toWall(now + 86_400_000, district.timeZone).date;
  return fromWall(day, start, district.timeZone);
}

function backoff(attempts: number, retryAfter?: number): number {
  return Math.max((retryAfter ?? 0) * 1000, Math.min(30 * 60_000, 15_000 * 2 ** (attempts - 1)));
}

/** Retries a KV write that failed for a passing reason (the file busy, a network blip). */
async function withKvRetry<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1;; i++) {
    try {
      return await write();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (i - 1)));
    }
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
