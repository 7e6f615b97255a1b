/**
 * /admin/people: find a person and set, per device and message type, what
 * reaches them, and their preferred language. STOP replies show as
 * "opted out of texts" with the date; an administrator can clear one only by
 * the family texting START, never here.
 */
import { Hono } from "hono";
import { z } from "zod";
import { FindPeople, PersonPage } from "../components/People.tsx";
import { adminOnly } from "../middleware/admin_only.ts";
import type { Person } from "../services/model.ts";
import { findPeople } from "../services/people.ts";
import { preferencesPath, stampLanguageChoice } from "../services/preferences.ts";
import { ConflictError } from "../services/store/kv.ts";
import { getPerson, savePerson } from "../services/store/people.ts";
import type { AppEnv, Ctx } from "./env.ts";
import { notFound } from "./errors.tsx";
import { idParam, SourcedId } from "./params.ts";
import { page } from "./render.tsx";

const Language = z.string().trim().regex(/^([a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*)?$/, "a language code such as en or es");

/**
 * The guardian's own preferences link, absolute so the office can paste it
 * into an email: PUBLIC_URL when configured, else the address this page was
 * reached at. Only guardians on the roster have one.
 */
async function familyLink(c: Ctx, person: Person): Promise<string | undefined> {
  if (person.kind !== "guardian" || person.removedAt) return undefined;
  const { db, publicUrl, publicUrlConfigured } = c.var.deps;
  return `${publicUrlConfigured ? publicUrl : new URL(c.req.url).origin}${await preferencesPath(db, person.id)}`;
}

async function personOr404(c: Ctx, id: string) {
  const person = await getPerson(c.var.deps.db, id);
  if (!person) throw notFound(NO_PERSON);
  return person;
}

async function personPage(c: Ctx, person: Person, error?: string, status: 200 | 400 | 409 = 200) {
  const view = (
    <PersonPage
      person={person}
      link={await familyLink(c, person)}
      error={error}
      csrf={c.var.csrf}
      timeZone={c.var.district.timeZone}
    />
  );
  return page(c, "Contact preferences", view, { status });
}

const NO_PERSON = "There is no such person.";
const personParam = idParam(NO_PERSON, SourcedId);

export const peopleRoutes = new Hono<AppEnv>()
  .use("/admin/people", adminOnly)
  .use("/admin/people/*", adminOnly)
  .get("/admin/people", async (c) => {
    const q = (c.req.query("q") ?? "").trim().toLowerCase().slice(0, 100);
    const found = q.length >= 2 ? await findPeople(c.var.deps.db, q) : [];
    return page(c, "People", <FindPeople q={q} found={found} />);
  })
  .get("/admin/people/:id", personParam, async (c) => {
    const person = await personOr404(c, c.req.valid("param").id);
    return personPage(c, person.value);
  })
  .post("/admin/people/:id", personParam, async (c) => {
    const { db } = c.var.deps;
    const current = await personOr404(c, c.req.valid("param").id);
    const body = await c.req.parseBody();
    const language = Language.safeParse(body.language ?? "");
    // The page again, as stored, with what stopped the save.
    const refused = (error: string, status: 400 | 409) => personPage(c, current.value, error, status);
    if (!language.success) return refused(`Preferred language: ${language.error.issues[0].message}`, 400);
    const on = (key: string) => body[key] === "on";
    // The office sets a language for the family, as they asked: like theirs, an import never changes it.
    const next: Person = stampLanguageChoice(current.value, {
      ...current.value,
      language: language.data || undefined,
      devices: current.value.devices.map((d) => ({
        ...d,
        general: on(`${d.id}:general`),
        priority: on(`${d.id}:priority`),
        emergency: on(`${d.id}:emergency`),
        text: d.kind === "phone" ? on(`${d.id}:text`) : d.text,
      })),
    }, new Date(c.var.deps.clock.now()).toISOString());
    try {
      await savePerson(db, current, next);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      return refused("Someone changed this person meanwhile: reload and try again.", 409);
    }
    return c.redirect(`/admin/people/${current.value.id}`, 303);
  });
