import type { Context } from "hono";
import type { District, Person, User } from "../services/model.ts";
import type { Db } from "../services/store/kv.ts";
import type { Clock } from "../services/time.ts";
import type { Dispatcher } from "../services/dispatch/dispatcher.ts";
import type { Providers } from "../services/providers/types.ts";
import type { CountryCode } from "libphonenumber-js";
import type { Background } from "../services/background.ts";
import type { Translator } from "../services/translate/translator.ts";

/** What the composition root hands the routes. */
export interface Deps {
  db: Db;
  clock: Clock;
  /** Demo mode lists the demo accounts on the sign-in page. */
  demo: boolean;
  /** Set when served over https (behind a proxy the request URL says http). */
  secureCookies: boolean;
  /** Behind a reverse proxy: the client's address is the last one in X-Forwarded-For. */
  trustProxy?: boolean;
  /** Printed at start-up while no user exists; the set-up page asks for it. */
  setupToken?: string;
  dispatcher: Dispatcher;
  /** The providers dispatch sends through: family sign-in links and codes, and staff's tests, go out the same way. */
  providers: Pick<Providers, "sendEmail" | "sendText" | "call">;
  /** Work that finishes after the response (a family sign-in's email or text). */
  background: Background;
  /** How a phone number typed without a country code is read (ROSTER_PHONE_COUNTRY); "US" when unset. */
  phoneCountry?: CountryCode;
  /** The address providers call back, as they see it (signatures cover it). */
  publicUrl: string;
  /** PUBLIC_URL was set: links for people to open use publicUrl, else the request's own origin. */
  publicUrlConfigured?: boolean;
  /** Set when Twilio is configured: its webhooks are verified with it. */
  twilioAuthToken?: string;
  /** Set when Mailgun's webhook signing key is: its webhooks are verified with it. */
  mailgunSigningKey?: string;
  /** Provider names for /healthz and /outbox ("outbox", "smtp", "mailgun", "twilio"). */
  providerNames: { email: string; sms: string; voice: string };
  /** How often Upcoming Messages refreshes itself. */
  refreshMs: number;
  /** Machine translation, when a provider is configured: the wizard's Translate buttons. */
  translator?: Translator;
}

export interface AppEnv {
  Variables: {
    deps: Deps;
    user: User | null;
    district: District;
    csrf: string;
    /** On /family/ pages: the guardian the family session admits (family_session.ts). */
    family: Person;
  };
}

export type Ctx = Context<AppEnv>;

/** A signed-in route's user; the auth middleware guarantees it. */
export function currentUser(c: Ctx): User {
  const user = c.get("user");
  if (!user) throw new Error("route reached without a signed-in user");
  return user;
}

/** A family route's guardian; the family session middleware guarantees it. */
export function currentFamily(c: Ctx): Person {
  const family = c.get("family");
  if (!family) throw new Error("route reached without a family session");
  return family;
}

export function isFragment(c: Ctx): boolean {
  return c.req.header("HX-Request") === "true";
}

/**
 * The client's address, for throttling sign-in: the connection's peer, or
 * behind a trusted proxy the address that proxy saw ("" when unknown, as in
 * tests that call the app directly).
 */
export function clientAddress(c: Ctx): string {
  if (c.var.deps.trustProxy) {
    const forwarded = c.req.header("X-Forwarded-For")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "";
}
