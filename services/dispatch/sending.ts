/**
 * Sending: Processing cuts each mode's deliveries into shards, each a send
 * job that any instance may take (the queue listener and the sweep alike).
 * A shard job hands its deliveries to the provider once they are due (the
 * mode's delivery time; for General and Priority texts and calls, quiet
 * hours: services/quiet_hours.ts),
 * retries passing failures with backoff, and leaves the rest to the finish
 * job.
 *
 * Deliveries go in batches of SEND_BATCH (at most MAX_BATCH, 90): one
 * checked commit claims the batch (pending → sending) together with the
 * job's lease, the provider calls run side by side (the channel's pacing
 * keeps its concurrency), and one commit records every result. Profiled at
 * 10,000 emails, the batch is what matters: a batch of the SMTP pool's 10
 * left the pool idle between commits (ratio to nodemailer alone 0.56), a
 * batch of 90 keeps it fed (0.72–0.78).
 *
 * Duplicate bound: a delivery claimed but not yet recorded when the process
 * dies is sent again after SEND_TIMEOUT_MS, because nobody can know whether
 * the provider got it. So a crash can duplicate at most the deliveries of
 * the batches in flight at that instant: per instance, DISPATCH_SLOTS jobs
 * at once × SEND_BATCH, each at most once per crash. Nothing else is ever sent twice, and nothing is lost: every
 * claimed-but-unrecorded delivery is retried.
 */
import { escapeHtml, type MergeContext, renderMerge } from "../merge.ts";
import { type Version, versionFor } from "../message_language.ts";
import { countSegments } from "../segments.ts";
import { type District, type Message, type Mode, type Person, type School } from "../model.ts";
import {
  type Accepted,
  BatchPartlyAccepted,
  type EmailBatchItem,
  type EmailOut,
  ProviderError,
  type Providers,
} from "../providers/types.ts";
import { getAttachmentBytes } from "../store/attachments.ts";
import {
  advanceDeliveries,
  advanceDelivery,
  deliveriesOf,
  type Delivery,
  MAX_BATCH,
  moved,
} from "../store/deliveries.ts";
import { getCalendar, getDistrict, listSchools } from "../store/district.ts";
import { addToInbox } from "../store/inbox.ts";
import type { Versioned } from "../store/kv.ts";
import { getPeople, setTextOptOut } from "../store/people.ts";
import { getRun, getRunMessage } from "../store/runs.ts";
import { nextInWindow, quietHoursWindow } from "../quiet_hours.ts";
import { type DispatchContext, done, nudge, reschedule } from "./context.ts";
import { type Job, stageJobUpdate } from "../store/jobs.ts";
import { applyEarlyStatuses } from "./status_callbacks.ts";
import { unsubscribePath, unsubscribeSecret, withUnsubscribeLink } from "../unsubscribe.ts";
import { noteBadContacts } from "../bad_contacts.ts";

export const MAX_ATTEMPTS = 5;

interface SendContext {
  message: Message;
  district: District;
  school: Pick<School, "id" | "name" | "callerId">;
  attachments: { filename: string; contentType: string; content: Uint8Array }[];
  /** The email provider's batch sending (Mailgun), when it has one. */
  batched?: Providers["emailBatch"];
  /** General email only: the secret its unsubscribe links are signed with (Priority and Emergency have none). */
  unsubscribe?: Uint8Array;
  /** The message in each language this shard sends it in, made once. */
  versions: Map<string, Version>;
}

/** The message in the language Processing chose for this delivery's copy. */
function versionOf(send: SendContext, v: Delivery): Version {
  const key = v.language ?? "";
  let version = send.versions.get(key);
  if (!version) send.versions.set(key, version = versionFor(send.message, v.language, send.district.language));
  return version;
}

/** A send job: one shard of one mode of a run (or, for redials, the whole mode). */
export async function sendShard(ctx: DispatchContext, job: Versioned<Job>): Promise<void> {
  const { db } = ctx;
  const mode = job.value.mode!;
  const run = await getRun(db, job.value.runId);
  // Written before Processing's last commit (a large run's shards take several): wait for it.
  if (run?.value.status === "processing") return reschedule(ctx, job, ctx.clock.now() + 1000);
  if (!run || run.value.status !== "sending") return done(ctx, job);
  const message = (await getRunMessage(db, run.value.id))!;
  const district = (await getDistrict(db))!;
  const now = ctx.clock.now();
  // Quiet hours: when the mode's window next opens, if it is closed now (never for Emergency or inbox and email).
  const quiet = quietHoursWindow(district, mode, message);
  const closedUntil = () => {
    const at = ctx.clock.now();
    const opens = quiet ? nextInWindow(at, quiet, district.timeZone) : at;
    return opens > at ? opens : 0;
  };
  const opensAt = closedUntil();
  if (opensAt) return reschedule(ctx, job, opensAt);
  const calendar = await getCalendar(db, message.calendarId);
  const school = (await listSchools(db)).find((s) => s.id === calendar?.schoolId) ?? { id: "", name: "" };
  const send: SendContext = {
    message,
    district,
    school,
    attachments: await attachments(ctx, message, mode),
    batched: mode === "email" ? ctx.providers.emailBatch : undefined,
    unsubscribe: mode === "email" && message.type === "general" ? await unsubscribeSecret(db) : undefined,
    versions: new Map(),
  };
  // A batch is what one record commit holds, or what one provider call takes (Mailgun: 1,000 emails).
  const batchSize = send.batched?.max ?? ctx.batchSize;
  // When this shard must be looked at again: retries and redials wait for their time, and a delivery another
  // instance is sending is looked at again when it would count as cut off.
  let later = Infinity;
  const due: Versioned<Delivery>[] = [];
  for await (const d of deliveriesOf(db, run.value.id, mode, job.value.shard)) {
    const s = d.value.state;
    const stale = s === "sending" && now - d.value.updatedAt > ctx.sendTimeoutMs;
    if (s === "sending" && !stale) later = Math.min(later, d.value.updatedAt + ctx.sendTimeoutMs + 1);
    if (s !== "pending" && s !== "redial" && !stale) continue;
    if ((d.value.notBefore ?? 0) > now) later = Math.min(later, d.value.notBefore!);
    else due.push(d);
  }
  let current: Versioned<Job> = job;
  for (let i = 0; i < due.length; i += batchSize) {
    const latest = await getRun(db, run.value.id);
    if (latest?.value.status !== "sending") {
      await done(ctx, current);
      return nudge(ctx, run.value.id, "cancel"); // The cancel need not wait for its next look.
    }
    // A shard still sending when its window closes stops there; the rest waits for the next opening.
    const opens = closedUntil();
    if (opens) return reschedule(ctx, current, opens);
    const sent = await sendBatch(ctx, current, due.slice(i, i + batchSize), send);
    if (!sent) return; // Lost the job (its lease ran out): its new owner carries on.
    current = sent.job;
    later = Math.min(later, sent.later);
  }
  // The rest is the finish job's.
  if (later < Infinity) return reschedule(ctx, current, Math.max(later, now + 1000));
  await done(ctx, current);
  return nudge(ctx, run.value.id, "finish"); // Nothing left to send here: the run may be complete now.
}

/**
 * One batch: claim it with the job's lease (one commit per SEND_BATCH), hand
 * it to the provider (a call per delivery side by side, or one batch call
 * for Mailgun's email), record every result (one commit per SEND_BATCH).
 * Returns the job as held after the claim and when the batch needs another
 * look (a retry's time, or a delivery whose record failed), or null when the
 * job was lost; deliveries it had claimed by then are resent after the send
 * timeout, like a crash's, never lost.
 */
async function sendBatch(
  ctx: DispatchContext,
  job: Versioned<Job>,
  batch: Versioned<Delivery>[],
  send: SendContext,
): Promise<{ job: Versioned<Job>; later: number } | null> {
  const { db } = ctx;
  const now = ctx.clock.now();
  let held = job;
  const claimed: Versioned<Delivery>[] = [];
  for (let i = 0; i < batch.length; i += ctx.batchSize) {
    const chunk = await claimChunk(ctx, held, batch.slice(i, i + ctx.batchSize), now);
    if (!chunk) return null;
    held = chunk.job;
    claimed.push(...chunk.claimed);
  }
  // Everyone this batch sends to (and their students), read in bulk rather than one read per delivery.
  const people = await getPeople(db, claimed.flatMap((d) => [d.value.personId, ...d.value.studentIds]));
  const results = send.batched
    ? await attemptEmailBatch(ctx, claimed, send, people)
    : await Promise.all(claimed.map((d) => attempt(ctx, d, send, people)));
  let later = Math.min(Infinity, ...results.filter((r) => r.state === "pending").map((r) => r.notBefore ?? now));
  const recordedAll: Delivery[] = [];
  for (let i = 0; i < claimed.length; i += MAX_BATCH) {
    const moves = claimed.slice(i, i + MAX_BATCH).map((d, j) => ({ current: d, next: results[i + j] }));
    // If a record loses a race, each result is written alone; one that still fails leaves its delivery
    // "sending", resent only after the send timeout, exactly as after a crash.
    if (await withKvRetry(() => advanceDeliveries(db, moves))) {
      recordedAll.push(...moves.map((m) => m.next));
      continue;
    }
    const recorded = await Promise.all(
      moves.map((m) => withKvRetry(() => advanceDelivery(db, m.current, m.next)).catch(() => null)),
    );
    recordedAll.push(...recorded.flatMap((r) => r ? [r.value] : []));
    if (recorded.includes(null)) later = Math.min(later, now + ctx.sendTimeoutMs + 1);
  }
  await noteBadContacts(db, recordedAll, now);
  // Deliveries whose provider reports back may have been reported on before this record.
  const reported = claimed.filter((d) => d.value.mode === "text" || d.value.mode === "voice" || send.batched);
  await applyEarlyStatuses(ctx, reported.map((d) => ({ runId: d.value.runId, mode: d.value.mode, id: d.value.id })));
  return { job: held, later };
}

/** Claims up to SEND_BATCH deliveries (pending → sending) with the job's lease, in one checked commit. */
async function claimChunk(
  ctx: DispatchContext,
  job: Versioned<Job>,
  chunk: Versioned<Delivery>[],
  now: number,
): Promise<{ job: Versioned<Job>; claimed: Versioned<Delivery>[] } | null> {
  const { db } = ctx;
  const lease = { ...job.value, leaseUntil: now + ctx.leaseMs };
  // A new attempt has no provider id until the provider answers it.
  const claim = (d: Delivery) =>
    moved(d, "sending", now, undefined, { attempts: d.attempts + 1, providerId: undefined });
  const op = stageJobUpdate(db.kv.atomic(), db, job, lease);
  const claimed = await advanceDeliveries(db, chunk.map((d) => ({ current: d, next: claim(d.value) })), op);
  if (claimed?.length) return { job: { value: lease, versionstamp: claimed[0].versionstamp }, claimed };
  // One of them was moved meanwhile (a cancel, another sender after a crash): claim one by one, the lost ones left.
  const renewed = await stageJobUpdate(db.kv.atomic(), db, job, lease).commit();
  if (!renewed.ok) return null;
  const alone = await Promise.all(chunk.map((d) => advanceDelivery(db, d, claim(d.value))));
  return {
    job: { value: lease, versionstamp: renewed.versionstamp },
    claimed: alone.filter((d) => d !== null),
  };
}

async function attachments(ctx: DispatchContext, message: Message, mode: Mode) {
  if (mode !== "email") return [];
  const out = [];
  for (const a of message.attachments) {
    out.push({
      filename: a.name,
      contentType: a.contentType,
      content: await getAttachmentBytes(ctx.db, message.id, a.id),
    });
  }
  return out;
}

/** What a delivery's merge fields are filled from; null when the person left the roster. */
export function mergeOf(
  v: Delivery,
  send: Pick<SendContext, "school" | "district">,
  people: Map<string, Person>,
): MergeContext | null {
  const person = people.get(v.personId);
  if (!person) return null;
  const students = v.studentIds.flatMap((id) => people.get(id) ?? []);
  if (person.kind === "student") students.push(person);
  return { recipient: person, students, school: send.school, district: send.district };
}

const GONE = "the person was removed from the roster";

/** One delivery's email, merged for its recipient; a General one with its own unsubscribe link. */
function emailOf(
  ctx: DispatchContext,
  v: Delivery,
  send: SendContext,
  merge: MergeContext,
): Omit<EmailOut, "attachments"> {
  const { content, subject } = versionOf(send, v);
  const email = {
    to: v.address!,
    subject: renderMerge(subject, merge),
    html: renderMerge(content.emailHtml, merge, escapeHtml),
    text: renderMerge(content.emailText, merge),
    messageId: `<${v.runId}.${v.id.replaceAll(/[^\w.-]/g, "_")}@messenger.${ctx.db.districtId}>`,
  };
  if (!send.unsubscribe || !v.deviceId) return email;
  const path = unsubscribePath(send.unsubscribe, { personId: v.personId, deviceId: v.deviceId, address: v.address! });
  return withUnsubscribeLink(email, `${ctx.options.publicUrl}${path}`, send.district.name);
}

/** The delivery after the provider took it. */
function acceptedAs(ctx: DispatchContext, v: Delivery, accepted: Accepted): Delivery {
  // An earlier attempt's refusal is history now, no longer the delivery's error.
  return moved(v, accepted.final ?? "sent", ctx.clock.now(), accepted.status, {
    providerId: accepted.providerId,
    providerStatus: accepted.status,
    errorCode: undefined,
    error: undefined,
  });
}

/** The delivery after the provider refused it: failed for good, or pending again with backoff. */
async function refusedAs(ctx: DispatchContext, v: Delivery, e: unknown): Promise<Delivery> {
  const err = e instanceof ProviderError ? e : new ProviderError(String((e as Error).message ?? e), false);
  if (err.code === "21610" && v.address) {
    await setTextOptOut(ctx.db, v.address, new Date(ctx.clock.now()).toISOString()).catch(() => {});
  }
  const permanent = err.permanent || v.attempts >= MAX_ATTEMPTS;
  return permanent
    ? moved(v, "failed", ctx.clock.now(), err.message, { errorCode: err.code, error: err.message })
    : moved(v, "pending", ctx.clock.now(), `retry: ${err.message}`, {
      errorCode: err.code,
      error: err.message,
      notBefore: ctx.clock.now() + backoff(v.attempts, err.retryAfter),
    });
}

/** One claimed delivery's provider call: the state it moves to (sent, delivered, failed, or pending to retry). */
async function attempt(
  ctx: DispatchContext,
  claimed: Versioned<Delivery>,
  send: SendContext,
  people: Map<string, Person>,
): Promise<Delivery> {
  const { db } = ctx;
  const v = claimed.value;
  const { subject, content } = versionOf(send, v);
  const merge = mergeOf(v, send, people);
  if (!merge) return moved(v, "failed", ctx.clock.now(), GONE);
  const fill = (s: string) => renderMerge(s, merge);
  const text = v.mode === "text" ? fill(content.text) : "";
  const callback = `${ctx.options.publicUrl}/webhooks/twilio/status?d=${encodeURIComponent(db.districtId)}&r=${
    encodeURIComponent(v.runId)
  }&m=${v.mode}&id=${encodeURIComponent(v.id)}`;
  // Only the provider call is inside the try: a storage error afterwards is
  // not a failed send and must never make us send again.
  let accepted: Accepted;
  try {
    const p = ctx.providers;
    accepted = v.mode === "inbox"
      ? await deliverInbox(ctx, v, send, fill(subject), fill(content.inbox))
      : v.mode === "email"
      ? await p.sendEmail({ ...emailOf(ctx, v, send, merge), attachments: send.attachments })
      : v.mode === "text"
      ? await p.sendText({ to: v.address!, body: text, statusCallback: callback })
      : await p.call({
        to: v.address!,
        say: fill(content.voice),
        statusCallback: callback,
        from: send.school.callerId,
        twimlUrl: voiceUrl(ctx, v),
        language: v.language,
      });
  } catch (e) {
    return await refusedAs(ctx, v, e);
  }
  // A text is billed per segment, and a language outside GSM-7 (Vietnamese, Arabic, Chinese…) fits 70 a segment.
  return acceptedAs(ctx, v.mode === "text" ? { ...v, segments: countSegments(text).segments } : v, accepted);
}

/**
 * A batch of emails in one provider call (Mailgun), each merged for its
 * recipient and tagged with its ids so its events find it. The call succeeds
 * or fails as a whole: a refusal is every delivery's, retried or failed
 * alike.
 */
async function attemptEmailBatch(
  ctx: DispatchContext,
  claimed: Versioned<Delivery>[],
  send: SendContext,
  people: Map<string, Person>,
): Promise<Delivery[]> {
  const results: (Delivery | null)[] = [];
  const items: EmailBatchItem[] = [];
  const sent: number[] = [];
  for (const { value: v } of claimed) {
    const merge = mergeOf(v, send, people);
    results.push(merge ? null : moved(v, "failed", ctx.clock.now(), GONE));
    if (!merge) continue;
    sent.push(results.length - 1);
    items.push({ ...emailOf(ctx, v, send, merge), tags: emailTags(ctx, v) });
  }
  if (items.length) {
    try {
      const accepted = await send.batched!.send({ items, attachments: send.attachments });
      sent.forEach((at, i) => results[at] = acceptedAs(ctx, claimed[at].value, accepted[i]));
    } catch (e) {
      // Split into several calls (an address twice, say), some taken: those are sent and must not go again.
      const outcomes = e instanceof BatchPartlyAccepted ? e.outcomes : sent.map(() => e);
      for (const [i, at] of sent.entries()) {
        const v = claimed[at].value;
        const o = outcomes[i];
        results[at] = o instanceof ProviderError || !o
          ? await refusedAs(ctx, v, o ?? e)
          : acceptedAs(ctx, v, o as Accepted);
      }
    }
  }
  return results as Delivery[];
}

/**
 * Where Twilio fetches a call's TwiML (routes/webhooks.ts): the delivery it
 * speaks for, and from the second play on which play the key press asks for.
 */
export function voiceUrl(ctx: DispatchContext, ref: { runId: string; id: string }, play = 1): string {
  const q = new URLSearchParams({ d: ctx.db.districtId, r: ref.runId, id: ref.id });
  if (play > 1) q.set("n", String(play));
  return `${ctx.options.publicUrl}/webhooks/twilio/voice?${q}`;
}

/** What an email's events carry back (Mailgun's v: variables): the district, run and delivery. */
export function emailTags(ctx: DispatchContext, v: Delivery): Record<string, string> {
  return { d: ctx.db.districtId, r: v.runId, id: v.id };
}

async function deliverInbox(ctx: DispatchContext, v: Delivery, send: SendContext, subject: string, body: string) {
  const { message } = send;
  await addToInbox(ctx.db, v, {
    subject,
    body,
    at: ctx.clock.now(),
    type: message.type,
    messageId: message.id,
    studentIds: v.studentIds,
    school: send.school.name,
    sender: message.created.name,
    attachments: message.attachments.map(({ id, name, contentType, size }) => ({ id, name, contentType, size })),
  });
  return { providerId: `inbox-${v.personId}`, status: "in the portal inbox", final: "delivered" as const };
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
