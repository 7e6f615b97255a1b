/**
 * /preferences/:personId/:sig: a guardian's own contact preferences, opened
 * from the signed link the school office sends (no sign-in). A bad
 * signature, an unknown or removed person and a non-guardian all get the
 * same 404, so a guessed link learns nothing. The form carries the CSRF
 * token like every other form; the family may choose message types per
 * device and the language, never the text flag or the addresses, which come
 * from the school's roster. Opening the link also signs the guardian in to
 * the portal (their Messages): a family session in its own cookie.
 */
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { type Hook, zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { PreferencesForm } from "../components/FamilyPreferences.tsx";
import { FAMILY_COOKIE, setFamilyCookie } from "../middleware/family_session.ts";
import { endFamilySession, guardianForSession, startFamilySession } from "../services/family_session.ts";
import { guardianForLink, parseFamilyChoices, saveFamilyChoices, withFamilyChoices } from "../services/preferences.ts";
import type { AppEnv, Ctx } from "./env.ts";
import { SourcedId } from "./params.ts";
import { publicPage } from "./render.tsx";

function notFound(c: Ctx) {
  return publicPage(
    c,
    "Link not found",
    <section>
      <h1>This link does not work</h1>
      <p>Check that you copied the whole link, or ask your school office for a new one.</p>
    </section>,
    404,
  );
}

const TITLE = "Contact preferences";

/** Signs the link's guardian in to the portal, keeping a session they already have. */
async function signInFamily(c: Ctx, personId: string): Promise<void> {
  const { db, clock } = c.var.deps;
  const previous = getCookie(c, FAMILY_COOKIE);
  if ((await guardianForSession(db, previous, clock))?.person.id === personId) return;
  // Another person's session on this browser ends: one family signed in at a time.
  if (previous && previous.length <= 100) await endFamilySession(db, previous);
  setFamilyCookie(c, await startFamilySession(db, personId, clock));
}

/** The link's person and signature; a malformed one is the same 404 as a wrong one. */
const LinkParams = z.object({ personId: SourcedId, sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
const badLink: Hook<z.infer<typeof LinkParams>, AppEnv, string, "param", object, typeof LinkParams> = (result, c) => {
  if (!result.success) return notFound(c);
};
const linkParams = zValidator<typeof LinkParams, "param", AppEnv, string, typeof badLink>("param", LinkParams, badLink);

export const preferenceRoutes = new Hono<AppEnv>()
  .get("/preferences/:personId/:sig", linkParams, async (c) => {
    const { personId, sig } = c.req.valid("param");
    const person = await guardianForLink(c.var.deps.db, personId, sig);
    if (!person) return notFound(c);
    await signInFamily(c, person.value.id);
    return publicPage(
      c,
      TITLE,
      <PreferencesForm csrf={c.var.csrf} timeZone={c.var.district.timeZone} person={person.value} />,
    );
  })
  .post("/preferences/:personId/:sig", linkParams, async (c) => {
    const { db } = c.var.deps;
    const { personId, sig } = c.req.valid("param");
    const current = await guardianForLink(db, personId, sig);
    if (!current) return notFound(c);
    const body = await c.req.parseBody();
    const choices = parseFamilyChoices(current.value, body);
    if (!choices.success) {
      // The boxes come back as sent where they can be read; nothing is saved.
      const shown = parseFamilyChoices(current.value, { ...body, language: current.value.language ?? "" });
      const person = shown.success ? withFamilyChoices(current.value, shown.data) : current.value;
      const error = `${choices.error.issues[0].message}. Nothing was changed.`;
      return publicPage(
        c,
        TITLE,
        <PreferencesForm csrf={c.var.csrf} timeZone={c.var.district.timeZone} person={person} error={error} />,
        400,
      );
    }
    const saved = await saveFamilyChoices(db, current, choices.data, new Date(c.var.deps.clock.now()).toISOString());
    if (saved === "gone") return notFound(c);
    if (saved === "conflict") {
      const error = "The school updated your record at the same moment. Nothing was changed: please save again.";
      const fresh = await guardianForLink(db, current.value.id, sig);
      return publicPage(
        c,
        TITLE,
        <PreferencesForm
          csrf={c.var.csrf}
          timeZone={c.var.district.timeZone}
          person={(fresh ?? current).value}
          error={error}
        />,
        409,
      );
    }
    return publicPage(
      c,
      TITLE,
      <PreferencesForm csrf={c.var.csrf} timeZone={c.var.district.timeZone} person={saved} saved />,
    );
  });
