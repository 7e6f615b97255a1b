/**
 * Email unsubscribe (CAN-SPAM; RFC 8058 one-click, which Gmail and Yahoo
 * require of bulk senders). Every General email names a link for its own
 * address: `/unsubscribe/<person>/<device>/<signature>`, where the signature
 * is an HMAC-SHA256 of the person id, the device id and the device's address
 * (lower-cased) under a random per-district secret kept in KV. So a link
 * cannot be made for anyone else, and once the roster gives that device
 * another address the old link no longer works, never turning off email the
 * new address did not ask to lose. The secret is not the preferences links'
 * own: revoking those (deleting their key) leaves unsubscribing from emails
 * already sent working, as CAN-SPAM wants.
 *
 * Unsubscribing turns General email off for that address (every device at
 * it, whoever's); Priority and Emergency still arrive, and the family can
 * turn General back on in their preferences.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { escapeHtml } from "./merge.ts";
import type { Device, Person } from "./model.ts";
import type { Db } from "./store/kv.ts";
import { getPerson } from "./store/people.ts";
import { districtSecret, getSecret } from "./store/secrets.ts";

/** Whose link it is: a person's email device, and the address it had when the email was sent. */
export interface UnsubscribeTarget {
  personId: string;
  deviceId: string;
  address: string;
}

/** The district's unsubscribe signing secret, made on first use (by the first General email). */
export function unsubscribeSecret(db: Db): Promise<Uint8Array> {
  return districtSecret(db, "unsubscribe");
}

/** The link's signature: base64url HMAC-SHA256 of the person, the device and its address. Synchronous: one per email. */
export function unsubscribeSig(secret: Uint8Array, target: UnsubscribeTarget): string {
  const signed = JSON.stringify([target.personId, target.deviceId, target.address.toLowerCase()]);
  return createHmac("sha256", secret).update(signed).digest("base64url");
}

/**
 * A path segment with every character HTML would escape percent-encoded too
 * (encodeURIComponent leaves `'`), so the link reads the same in the HTML
 * body, the text body and the header: Mailgun sends it once per call (see
 * mailgun.ts).
 */
function segment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path of a target's unsubscribe link (prefix it with PUBLIC_URL). */
export function unsubscribePath(secret: Uint8Array, target: UnsubscribeTarget): string {
  return `/unsubscribe/${segment(target.personId)}/${segment(target.deviceId)}/${unsubscribeSig(secret, target)}`;
}

/**
 * An email with its unsubscribe link: in the List-Unsubscribe header (the
 * provider writes it from `unsubscribeUrl`) and at the foot of both bodies.
 * `sender` names who the family stops hearing from: the district, since the
 * switch is the address's General email from all its schools.
 */
export function withUnsubscribeLink<T extends { html: string; text: string }>(
  email: T,
  url: string,
  sender: string,
): T & { unsubscribeUrl: string } {
  const words = `Unsubscribe from general messages from ${sender}`;
  const still = "Priority and emergency messages will still reach you.";
  return {
    ...email,
    html: `${email.html}\n<hr>\n<p><a href="${escapeHtml(url)}">${escapeHtml(words)}</a>. ${still}</p>\n`,
    text: `${email.text}\n\n${words}: ${url}\n${still}\n`,
    unsubscribeUrl: url,
  };
}

/**
 * The person and email device a link names, or null for a bad signature, an
 * unknown person or device, a device that is no email, or an address the
 * roster has changed since: the caller answers all of these alike. It only
 * reads: a forged link before any General email was sent does not make the
 * secret.
 */
export async function deviceForUnsubscribe(
  db: Db,
  personId: string,
  deviceId: string,
  sig: string,
): Promise<{ person: Person; device: Device } | null> {
  const secret = await getSecret(db, "unsubscribe");
  if (!(secret instanceof Uint8Array) || secret.length !== 32) return null;
  const person = (await getPerson(db, personId))?.value;
  const device = person?.devices.find((d) => d.id === deviceId && d.kind === "email");
  if (!person || !device) return null;
  const expected = Buffer.from(unsubscribeSig(secret, { personId, deviceId, address: device.address }));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  return { person, device };
}
