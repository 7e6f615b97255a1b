/**
 * Family sign-in without the preferences link: a guardian names the email
 * address or phone the roster has for them, and gets a one-time link by email
 * or a 6-digit code by text. Every request gets the same answer whether or
 * not the address is known or the limits were reached, so the form tells
 * nobody who is on the roster. Links, codes and the choice of guardian on a
 * shared address last SIGN_IN_TTL_MS and work once; a code allows
 * MAX_CODE_TRIES tries.
 */
import { randomInt } from "node:crypto";
import { randomToken } from "./auth.ts";
import type { Background } from "./background.ts";
import type { Person } from "./model.ts";
import type { Providers } from "./providers/types.ts";
import {
  countCodeTry,
  getSignInRequest,
  saveSignInRequest,
  sha256,
  takeRequestAllowance,
  takeSignInRequest,
} from "./store/family_signin.ts";
import type { Db } from "./store/kv.ts";
import { getPeople, personIdsByAddress } from "./store/people.ts";
import type { Clock } from "./time.ts";

export const SIGN_IN_TTL_MS = 15 * 60 * 1000;
export const MAX_CODE_TRIES = 5;
/** A family mistyping or waiting for a slow text asks a few times; more is someone else's address being flooded. */
export const MAX_REQUESTS_PER_ADDRESS = 5;
/** A household or a school's shared computer may sign in several guardians; more is someone trying addresses. */
export const MAX_REQUESTS_PER_CLIENT = 20;
export const REQUEST_WINDOW_MS = 60 * 60 * 1000;

export interface SignInAddress {
  kind: "email" | "phone";
  /** Lower-cased email, or E.164. */
  address: string;
}

export interface SignInContext {
  db: Db;
  clock: Clock;
  providers: Pick<Providers, "sendEmail" | "sendText">;
  /** Where links point: the public URL, or the request's origin. */
  origin: string;
  districtName: string;
}

/** Guardians still on the roster who can be reached at the address (a phone must take texts). */
async function guardiansAt(db: Db, { kind, address }: SignInAddress): Promise<Person[]> {
  const people = await getPeople(db, await personIdsByAddress(db, kind, address));
  return [...people.values()].filter((p) =>
    p.kind === "guardian" && !p.removedAt &&
    p.devices.some((d) =>
      d.kind === kind &&
      (kind === "email" ? d.address.toLowerCase() === address : d.address === address && d.text && !d.textOptOutAt)
    )
  ).sort((a, b) => a.id.localeCompare(b.id));
}

const codeHash = (requestId: string, code: string) => sha256(`${requestId}:${code}`);

/**
 * Sends a link or a code if the address is a guardian's and the limits allow.
 * A phone's request id is made either way, so the code form looks the same
 * for an unknown number. Only the limits are counted before the answer: the
 * roster lookup and the send run in `background`, so a known address is
 * answered no slower than an unknown one.
 */
export async function requestFamilySignIn(
  ctx: SignInContext,
  to: SignInAddress,
  client: string,
  background: Background,
): Promise<{ requestId?: string }> {
  const now = ctx.clock.now();
  const requestId = to.kind === "phone" ? randomToken() : undefined;
  const allowed = await takeRequestAllowance(
    ctx.db,
    [
      { scope: "address", value: to.address, max: MAX_REQUESTS_PER_ADDRESS },
      { scope: "client", value: client, max: MAX_REQUESTS_PER_CLIENT },
    ],
    REQUEST_WINDOW_MS,
    now,
  );
  if (allowed) background.run("family sign-in", () => sendSignIn(ctx, to, requestId, now));
  return { requestId };
}

async function sendSignIn(ctx: SignInContext, to: SignInAddress, requestId: string | undefined, now: number) {
  const { db } = ctx;
  const guardians = await guardiansAt(db, to);
  if (guardians.length === 0) return;
  const personIds = guardians.map((g) => g.id);
  const expiresAt = now + SIGN_IN_TTL_MS;
  if (requestId) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    await saveSignInRequest(db, requestId, {
      purpose: "code",
      personIds,
      expiresAt,
      codeHash: await codeHash(requestId, code),
      tries: 0,
    }, now);
    await ctx.providers.sendText({
      to: to.address,
      body: `${code} is your code to read messages from ${ctx.districtName}. It works for 15 minutes.`,
    });
    return;
  }
  const token = randomToken();
  await saveSignInRequest(db, token, { purpose: "link", personIds, expiresAt, tries: 0 }, now);
  const link = `${ctx.origin}/family/signin/${token}`;
  const text = `Open this link to read messages from ${ctx.districtName}:\n\n${link}\n\n` +
    "It works once, for 15 minutes. If you did not ask to sign in, you can ignore this email.";
  await ctx.providers.sendEmail({
    to: to.address,
    subject: `Sign in to read messages from ${ctx.districtName}`,
    text,
    html: `<p>Open this link to read messages from ${escapeHtml(ctx.districtName)}:</p>` +
      `<p><a href="${link}">${link}</a></p>` +
      "<p>It works once, for 15 minutes. If you did not ask to sign in, you can ignore this email.</p>",
    messageId: `<signin.${crypto.randomUUID()}@messenger.${db.districtId}>`,
    attachments: [],
  });
}

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Whether a link still works, without using it (the page before its button). */
export async function linkWorks(db: Db, token: string, now: number): Promise<boolean> {
  return (await getSignInRequest(db, token, now))?.request.purpose === "link";
}

/** Uses a link or a choice token once: its people, or null (unknown, expired, used, or the wrong kind). */
export async function useSignInToken(
  db: Db,
  token: string,
  purpose: "link" | "choice",
  now: number,
): Promise<string[] | null> {
  const found = await getSignInRequest(db, token, now);
  if (!found || found.request.purpose !== purpose) return null;
  return await takeSignInRequest(db, found.entry) ? found.request.personIds : null;
}

/**
 * Checks a code: its people, or null for any failure (wrong, expired, used,
 * too many tries, unknown request), all alike. The try is counted before the
 * code is compared, so tries sent at once are counted like tries in a row.
 */
export async function useSignInCode(db: Db, requestId: string, code: string, now: number): Promise<string[] | null> {
  for (let round = 0; round < 20; round++) {
    const found = await getSignInRequest(db, requestId, now);
    if (!found || found.request.purpose !== "code" || found.request.tries >= MAX_CODE_TRIES) return null;
    const counted = await countCodeTry(db, found.entry, found.request, now);
    if (!counted) continue;
    if (found.request.codeHash === await codeHash(requestId, code)) {
      return await takeSignInRequest(db, counted) ? found.request.personIds : null;
    }
    // The last try used: the request is dead, so it need not wait for its expiry.
    if (found.request.tries + 1 >= MAX_CODE_TRIES) await takeSignInRequest(db, counted);
    return null;
  }
  return null;
}

/** The guardians a finished sign-in may admit (still guardians, still on the roster). */
export async function signInCandidates(db: Db, personIds: string[]): Promise<Person[]> {
  const people = await getPeople(db, personIds);
  return personIds.map((id) => people.get(id)).filter((p): p is Person =>
    p !== undefined && p.kind === "guardian" && !p.removedAt
  );
}

/** A one-time choice among guardians who share an address; its token goes in the choice form. */
export async function offerChoice(db: Db, personIds: string[], now: number): Promise<string> {
  const token = randomToken();
  await saveSignInRequest(db, token, { purpose: "choice", personIds, expiresAt: now + SIGN_IN_TTL_MS, tries: 0 }, now);
  return token;
}
