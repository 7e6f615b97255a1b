/**
 * Send a test to me (Content and Send Options): one copy of each chosen
 * delivery mode to the sender's own email and phone, filled in for the
 * message's first real recipient, in their language (each mode as dispatch
 * would send it to them: services/preview_language.ts), and marked "[Test]". It goes through the
 * real providers but is no run: no deliveries, nothing on Upcoming Messages
 * or the Sent Message Log. Each test is recorded in the message's History,
 * addresses masked, and a user may send TEST_SEND_MAX tests an hour.
 */
import type { CountryCode } from "libphonenumber-js";
import { MERGE_FIELDS, type MergeContext, MergeFieldError, mergeFieldsIn, renderMerge } from "../merge.ts";
import { escapeHtml } from "../merge.ts";
import { type District, type Mode, MODE_LABEL, MODES, type User } from "../model.ts";
import type { Providers } from "../providers/types.ts";
import { type LanguagePreview, previewIn } from "../preview_language.ts";
import { sampleRecipient } from "../recipients.ts";
import { maskAddress } from "../report.ts";
import { toE164 } from "../roster/oneroster/cells.ts";
import { getAttachmentBytes } from "../store/attachments.ts";
import type { Draft } from "../store/drafts.ts";
import { type Db, newId } from "../store/kv.ts";
import { addMessageAudit } from "../store/messages.ts";
import { getPerson } from "../store/people.ts";
import { takeTestSendAllowance } from "../store/test_sends.ts";
import { formatClock, toWall } from "../time.ts";
import { checkContent } from "./content_step.ts";
import { draftAsMessage } from "./languages.ts";
import type { Errors } from "./errors.ts";
import { usableCalendar } from "./steps.ts";

/** Tests a user may send in an hour: enough to try a message several times, too few to spam anyone. */
export const TEST_SEND_MAX = 10;
export const TEST_SEND_WINDOW_MS = 60 * 60_000;

/** What Send a test to me needs besides the draft: who, where from, and how copies go out. */
export interface TestSendContext {
  db: Db;
  user: User;
  district: District;
  now: number;
  providers: Pick<Providers, "sendEmail" | "sendText" | "call">;
  /** How a number typed without a country code is read (ROSTER_PHONE_COUNTRY). */
  phoneCountry: CountryCode;
  /** Where Twilio reports a test call's status: answered and ignored, a test is no delivery. */
  publicUrl: string;
}

/** The addresses a test goes to, as the form shows them. */
export interface TestAddresses {
  email: string;
  phone: string;
}

/** One copy of a test: where it went (in full: the sender's own) and what the provider said. */
export interface TestCopy {
  mode: Mode;
  to: string;
  sent: boolean;
  /** The provider's refusal, in its words. */
  problem?: string;
  /** Why this copy is not in the recipient's language: "read in English: Twilio has no Somali voice". */
  languageNote?: string;
}

export interface TestSendResult {
  copies: TestCopy[];
  /** Chosen modes that got no copy, and why. */
  skipped: { mode: Mode; why: string }[];
  /** Whose merge fields the copies were filled with. */
  filledFor?: string;
  /** The copies' language, as said after the name ("in Spanish"); "" when there is nothing to tell. */
  inLanguage?: string;
  /** When it went, on the district's clock ("10:04 AM"): a second test is told from the first. */
  at: string;
}

/** What the wizard shows of Send a test to me: the addresses, and the last test's outcome. */
export interface TestSendShown extends TestAddresses {
  /** The chosen modes a test would send. */
  modes: Mode[];
  result?: TestSendResult;
}

export type TestSendOutcome =
  & { shown: TestSendShown; errors: Errors }
  & ({ status: 200 | 502; result: TestSendResult } | { status: 400 | 403 | 429 });

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The sender's own email and phone, from their linked roster staff record ("" where there is none). */
export async function ownAddresses(db: Db, user: User): Promise<TestAddresses> {
  const person = user.personId ? (await getPerson(db, user.personId))?.value : null;
  const devices = person && !person.removedAt ? person.devices : [];
  const phones = devices.filter((d) => d.kind === "phone");
  return {
    email: devices.find((d) => d.kind === "email")?.address ?? "",
    // A phone that takes texts can take calls too; one that does not may still be the only one.
    phone: (phones.find((d) => d.text) ?? phones[0])?.address ?? "",
  };
}

/** The draft's chosen modes that are real modes, in the usual order. */
function chosenModes(draft: Draft): Mode[] {
  return MODES.filter((m) => draft.send.modes.includes(m));
}

/** What the step shows before any test: the sender's addresses and what a test would send. */
export async function testSendShown(db: Db, user: User, draft: Draft): Promise<TestSendShown> {
  return { ...await ownAddresses(db, user), modes: chosenModes(draft) };
}

/**
 * Sends the test: the typed addresses (undefined: not posted, so the roster
 * record's) are checked, then one copy per chosen mode that has content.
 * Nothing is counted against the hourly limit until everything checks out.
 */
export async function sendTestToMe(
  ctx: TestSendContext,
  draft: Draft,
  typed: Partial<TestAddresses>,
): Promise<TestSendOutcome> {
  const { db, user } = ctx;
  const own = await ownAddresses(db, user);
  const shown: TestSendShown = {
    email: (typed.email ?? own.email).trim().slice(0, 254),
    phone: (typed.phone ?? own.phone).trim().slice(0, 40),
    modes: chosenModes(draft),
  };
  const refuse = (status: 400 | 403 | 429, errors: Errors): TestSendOutcome => ({ shown, errors, status });

  const forbidden = shown.modes.filter((m) => !user.rights.modes.includes(m));
  if (forbidden.length) {
    return refuse(403, {
      modes: `You do not have the right to send by ${forbidden.map((m) => MODE_LABEL[m]).join(" or ")}`,
    });
  }
  if (shown.modes.length === 0) {
    return refuse(400, { testSend: "Choose a delivery mode on Send Options first: a test sends one copy of each." });
  }
  const contentErrors = checkContent(draft.content, draft.recipients);
  if (Object.keys(contentErrors).length) return refuse(400, contentErrors);

  // The first recipient's version: the copies go as they would to them.
  const sample = await firstRecipient(ctx, draft);
  const version = previewIn(draftAsMessage(draft, ctx.district), sample?.recipient.person.language, ctx.district);
  const c = version.content;
  const has: Record<Mode, boolean> = {
    inbox: false,
    email: Boolean(c.emailText.trim()),
    text: Boolean(c.text.trim()),
    voice: Boolean(c.voice.trim()),
  };
  const skipped: TestSendResult["skipped"] = [];
  for (const m of shown.modes) {
    if (m === "inbox") skipped.push({ mode: m, why: "it is read in the family portal: Preview on Content shows it" });
    else if (!has[m]) skipped.push({ mode: m, why: `there is no ${CONTENT_NAME[m]} yet` });
  }
  const modes = shown.modes.filter((m) => has[m]);
  if (modes.length === 0) {
    return refuse(400, {
      testSend: "There is nothing to test: write the email, text message or voice script of a chosen mode.",
    });
  }

  const errors: Errors = {};
  if (modes.includes("email")) {
    if (!shown.email) errors.testEmail = "Enter your email address: the email test goes there";
    else if (!EMAIL.test(shown.email)) errors.testEmail = "Enter an email address such as name@school.org";
  }
  const phone = toE164(shown.phone, ctx.phoneCountry);
  if (modes.some((m) => m === "text" || m === "voice")) {
    if (!shown.phone) errors.testPhone = "Enter your phone number: the text and call tests go there";
    else if (!phone) errors.testPhone = "Enter a phone number such as (612) 555-0101 or +1 612 555 0101";
  }
  if (Object.keys(errors).length) return refuse(400, errors);

  const fill = merger(sample, version, modes);
  if ("problem" in fill) return refuse(400, { testSend: fill.problem });

  const allowance = await takeTestSendAllowance(db, user.id, TEST_SEND_MAX, TEST_SEND_WINDOW_MS, ctx.now);
  if (!allowance.ok) {
    const at = formatClock(toWall(allowance.until, ctx.district.timeZone).time);
    return refuse(429, {
      testSend:
        `You have sent ${TEST_SEND_MAX} tests in the past hour, the most allowed: you can send the next at ${at}.`,
    });
  }

  const copies = await Promise.all(modes.map(async (mode): Promise<TestCopy> => {
    const to = mode === "email" ? shown.email : phone!;
    try {
      await sendCopy(ctx, draft, mode, to, fill, version);
      return { mode, to, sent: true, languageNote: version.notes[mode] };
    } catch (e) {
      return { mode, to, sent: false, problem: e instanceof Error ? e.message : String(e) };
    }
  }));
  const at = formatClock(toWall(ctx.now, ctx.district.timeZone).time);
  const result: TestSendResult = { copies, skipped, filledFor: fill.name, inLanguage: version.inLanguage, at };
  await addMessageAudit(db, draft.messageId, {
    at: ctx.now,
    userId: user.id,
    name: user.name,
    action: `sent a test (${
      copies.map((x) => `${MODE_LABEL[x.mode]} to ${maskAddress(x.mode, x.to)}${x.sent ? "" : ", refused"}`)
        .join("; ")
    })`,
    changes: [],
  });
  return { shown: { ...shown, result }, errors: {}, status: copies.every((x) => x.sent) ? 200 : 502, result };
}

const CONTENT_NAME: Record<Mode, string> = {
  inbox: "inbox message",
  email: "email",
  text: "text message",
  voice: "voice script",
};

type Render = (text: string, escape?: (s: string) => string) => string;

/** The message's first real recipient, whose language and merge fields a test takes; null before there is one. */
async function firstRecipient({ db, user, district }: TestSendContext, draft: Draft) {
  const calendar = await usableCalendar(db, user, draft);
  return calendar
    ? await sampleRecipient(
      db,
      { recipients: { ...draft.recipients, types: draft.recipients.types as never } },
      calendar,
      district,
    )
    : null;
}

/**
 * How the copies' merge fields are filled: from the message's first real
 * recipient. Without one, only content that uses no merge field can go.
 */
function merger(
  sample: Awaited<ReturnType<typeof firstRecipient>>,
  version: LanguagePreview,
  modes: Mode[],
): { render: Render; name?: string; inLanguage?: string } | { problem: string } {
  const c = version.content;
  const used = [version.subject, ...modes.map((m) => m === "email" ? c.emailHtml + c.emailText : c[m])];
  if (!sample) {
    if (used.some((t) => mergeFieldsIn(t).some((f) => MERGE_FIELDS.has(f)))) {
      return { problem: "There is nobody to fill the merge fields from: choose recipients on step 1 first." };
    }
    return { render: (text) => text, inLanguage: version.inLanguage };
  }
  const merge: MergeContext = sample.merge;
  const name = `${merge.recipient.firstName} ${merge.recipient.lastName}`;
  try {
    for (const t of used) renderMerge(t, merge);
  } catch (e) {
    if (!(e instanceof MergeFieldError)) throw e;
    return { problem: `{{${e.field}}} cannot be filled for ${name}, the first recipient.` };
  }
  return { render: (text, escape) => renderMerge(text, merge, escape), name, inLanguage: version.inLanguage };
}

/** One copy through the real provider, marked "[Test]". */
async function sendCopy(
  ctx: TestSendContext,
  draft: Draft,
  mode: Mode,
  to: string,
  { render, name, inLanguage }: { render: Render; name?: string; inLanguage?: string },
  version: LanguagePreview,
): Promise<void> {
  const { db, providers } = ctx;
  const said = inLanguage ? `, ${inLanguage}` : "";
  const note = `${name ? `Filled in as ${name} would get it${said}. ` : ""}Only you received this copy.`;
  const c = version.content;
  const email = c;
  const id = newId();
  if (mode === "email") {
    const attachments = [];
    for (const a of draft.attachments) {
      attachments.push({
        filename: a.name,
        contentType: a.contentType,
        content: await getAttachmentBytes(db, draft.messageId, a.id),
      });
    }
    await providers.sendEmail({
      to,
      subject: `[Test] ${render(version.subject.trim())}`,
      html: `<p><strong>[Test]</strong> ${escapeHtml(note)}</p>\n${render(email.emailHtml, escapeHtml)}`,
      text: `[Test] ${note}\n\n${render(email.emailText)}`,
      messageId: `<test.${id}@messenger.${db.districtId}>`,
      attachments,
    });
  } else if (mode === "text") {
    await providers.sendText({ to, body: `[Test] ${render(c.text)}` });
  } else {
    // Twilio's word on a test call names no delivery of any run: the status webhook answers it and changes nothing.
    const statusCallback =
      `${ctx.publicUrl}/webhooks/twilio/status?d=${encodeURIComponent(db.districtId)}&r=test-${id}` +
      `&m=voice&id=test`;
    const language = version.modeLanguage.voice ?? version.language;
    await providers.call({ to, say: `[Test] ${render(c.voice)}`, statusCallback, language });
  }
}
