/**
 * /family/signin: a family without the preferences link signs in with the
 * email address or phone the roster has for them (services/family_signin.ts).
 * The answer to a request never says whether the address is known; a link
 * or code that does not work gets one plain page, whatever the reason.
 */
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { z } from "zod";
import type { CountryCode } from "libphonenumber-js";
import {
  ChooseGuardian,
  CodeForm,
  LinkConfirm,
  LinkSent,
  SignInFailed,
  SignInForm,
} from "../components/FamilySignIn.tsx";
import { FAMILY_COOKIE, setFamilyCookie } from "../middleware/family_session.ts";
import { endFamilySession, startFamilySession } from "../services/family_session.ts";
import {
  linkWorks,
  offerChoice,
  requestFamilySignIn,
  type SignInAddress,
  signInCandidates,
  useSignInCode,
  useSignInToken,
} from "../services/family_signin.ts";
import { toE164 } from "../services/roster/oneroster/cells.ts";
import { type AppEnv, clientAddress, type Ctx } from "./env.ts";
import { checked } from "./params.ts";
import { publicPage } from "./render.tsx";

const TITLE = "Sign in";
const Token = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** An email address (lower-cased) or a phone number read in the district's country (E.164). */
function addressOf(raw: string, country: CountryCode): SignInAddress | null {
  const value = raw.trim();
  if (value.includes("@")) {
    return z.email().max(254).safeParse(value).success ? { kind: "email", address: value.toLowerCase() } : null;
  }
  const phone = toE164(value, country);
  return phone ? { kind: "phone", address: phone } : null;
}

const AddressForm = z.object({ address: z.string().max(254) });
const CodeFields = z.object({ request: Token, code: z.string().max(20) });
const ChoiceFields = z.object({ choice: Token, personId: z.string().min(1).max(64) });

const failed = (c: Ctx) => publicPage(c, TITLE, <SignInFailed />, 404);

/** Starts the session of one guardian, ending another one's on this browser, and goes to their messages. */
async function signInAs(c: Ctx, personId: string): Promise<Response> {
  const { db, clock } = c.var.deps;
  const previous = getCookie(c, FAMILY_COOKIE);
  if (previous && previous.length <= 100) await endFamilySession(db, previous);
  setFamilyCookie(c, await startFamilySession(db, personId, clock));
  return c.redirect("/family/messages", 303);
}

/** After a link or code: one guardian is signed in; several sharing the address choose who. */
async function finish(c: Ctx, personIds: string[] | null): Promise<Response> {
  const { db, clock } = c.var.deps;
  const people = personIds ? await signInCandidates(db, personIds) : [];
  if (people.length === 0) return failed(c);
  if (people.length === 1) return await signInAs(c, people[0].id);
  const choice = await offerChoice(db, people.map((p) => p.id), clock.now());
  const names = people.map((p) => ({ id: p.id, name: `${p.firstName} ${p.lastName}` }));
  return publicPage(c, TITLE, <ChooseGuardian csrf={c.var.csrf} choice={choice} people={names} />);
}

export const familySignInRoutes = new Hono<AppEnv>()
  .get("/family/signin", (c) => publicPage(c, TITLE, <SignInForm csrf={c.var.csrf} />))
  .post("/family/signin", checked("form", AddressForm), async (c) => {
    const { raw, parsed } = c.req.valid("form");
    const typed = typeof raw.address === "string" ? raw.address.slice(0, 254) : "";
    const { deps } = c.var;
    const to = parsed.success ? addressOf(parsed.data.address, deps.phoneCountry ?? "US") : null;
    if (!to) {
      const error = "Enter an email address (with an @) or a phone number.";
      return publicPage(c, TITLE, <SignInForm csrf={c.var.csrf} address={typed} error={error} />, 400);
    }
    const origin = deps.publicUrlConfigured ? deps.publicUrl : new URL(c.req.url).origin;
    const ctx = {
      db: deps.db,
      clock: deps.clock,
      providers: deps.providers,
      origin,
      districtName: c.var.district.name,
    };
    const { requestId } = await requestFamilySignIn(ctx, to, clientAddress(c), deps.background);
    return publicPage(c, TITLE, requestId ? <CodeForm csrf={c.var.csrf} requestId={requestId} /> : <LinkSent />);
  })
  .post("/family/signin/code", checked("form", CodeFields), async (c) => {
    const { raw, parsed } = c.req.valid("form");
    const { db, clock } = c.var.deps;
    const personIds = parsed.success
      ? await useSignInCode(db, parsed.data.request, parsed.data.code.trim(), clock.now())
      : null;
    if (personIds) return await finish(c, personIds);
    // Wrong, expired, used up or never sent: the same answer, so it tells nothing.
    const requestId = typeof raw.request === "string" ? raw.request.slice(0, 43) : "";
    const code = typeof raw.code === "string" ? raw.code.slice(0, 20) : "";
    const error = "That code does not work. Check the text and try again, or ask for a new code.";
    return publicPage(c, TITLE, <CodeForm csrf={c.var.csrf} requestId={requestId} code={code} error={error} />, 400);
  })
  .post("/family/signin/choose", checked("form", ChoiceFields), async (c) => {
    const { parsed } = c.req.valid("form");
    if (!parsed.success) return failed(c);
    const { db, clock } = c.var.deps;
    const personIds = await useSignInToken(db, parsed.data.choice, "choice", clock.now());
    if (!personIds?.includes(parsed.data.personId)) return failed(c);
    return await finish(c, [parsed.data.personId]);
  })
  .get("/family/signin/:token", async (c) => {
    const token = Token.safeParse(c.req.param("token"));
    if (!token.success || !await linkWorks(c.var.deps.db, token.data, c.var.deps.clock.now())) return failed(c);
    return publicPage(c, TITLE, <LinkConfirm csrf={c.var.csrf} action={`/family/signin/${token.data}`} />);
  })
  .post("/family/signin/:token", async (c) => {
    const token = Token.safeParse(c.req.param("token"));
    if (!token.success) return failed(c);
    return await finish(c, await useSignInToken(c.var.deps.db, token.data, "link", c.var.deps.clock.now()));
  });
