/**
 * /admin/people: find a person and set, per device and message type, what
 * reaches them, and their preferred language. STOP replies show as
 * "opted out of texts" with the date; an administrator can clear one only by
 * the family texting START, never here.
 */
import { Hono } from "hono";
import { z } from "zod";
import { Island } from "../components/Island.tsx";
import { CsrfField } from "../components/Layout.tsx";
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, type Person } from "../services/model.ts";
import { findPeople } from "../services/people.ts";
import { preferencesPath } from "../services/preferences.ts";
import { ConflictError } from "../services/store/kv.ts";
import { getPerson, savePerson } from "../services/store/people.ts";
import { formatInstant } from "../services/time.ts";
import { adminOnly } from "./admin.tsx";
import type { AppEnv, Ctx } from "./env.ts";
import { page, problem } from "./render.tsx";

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

function PersonPage({ c, person, link, error }: { c: Ctx; person: Person; link?: string; error?: string }) {
  const tz = c.var.district.timeZone;
  return (
    <section>
      <p>
        <a href="/admin/people">← People</a>
      </p>
      <h1>{`${person.firstName} ${person.lastName}`}</h1>
      <p>{person.kind}</p>
      {link && (
        <div class="field family-link">
          <label>
            Family's preferences link
            <input readOnly value={link} id="family-link" />
          </label>
          <p class="hint">
            Send this link to the family: it opens a page where they choose which messages reach each device and their
            language, without signing in. They cannot change addresses or whether a phone takes texts.
          </p>
          <Island name="CopyButton" props={{ value: link, label: "Copy link" }} />
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <form method="post" action={`/admin/people/${person.id}`} class="stack wide">
        <CsrfField token={c.var.csrf} />
        <label>
          Preferred language
          <input name="language" value={person.language ?? ""} maxLength={20} />
        </label>
        {person.devices.length === 0 && <p class="empty">No email address or phone on file.</p>}
        {person.devices.map((d) => (
          <fieldset key={d.id}>
            <legend>{`${d.kind === "email" ? "Email" : "Phone"} ${d.address}`}</legend>
            {MESSAGE_TYPES.map((t) => (
              <label key={t} class="check">
                <input type="checkbox" name={`${d.id}:${t}`} checked={d[t]} />
                {`Receives ${MESSAGE_TYPE_LABEL[t]} messages`}
              </label>
            ))}
            {d.kind === "phone" && (
              <label class="check">
                <input type="checkbox" name={`${d.id}:text`} checked={d.text} />
                Can receive texts
              </label>
            )}
            {d.textOptOutAt && (
              <p class="notice">
                {`Opted out of texts (replied STOP) on ${formatInstant(Date.parse(d.textOptOutAt), tz)}`}
              </p>
            )}
          </fieldset>
        ))}
        <button type="submit">Save preferences</button>
      </form>
    </section>
  );
}

export const peopleRoutes = new Hono<AppEnv>()
  .use("/admin/people", adminOnly)
  .use("/admin/people/*", adminOnly)
  .get("/admin/people", async (c) => {
    const q = (c.req.query("q") ?? "").trim().toLowerCase().slice(0, 100);
    const found = q.length >= 2 ? await findPeople(c.var.deps.db, q) : [];
    return page(
      c,
      "People",
      <section>
        <h1>People and contact preferences</h1>
        <form method="get" action="/admin/people" class="filters" role="search">
          <label>
            Name
            <input type="search" name="q" value={q} maxLength={100} />
          </label>
          <button type="submit">Find</button>
        </form>
        <ul>
          {found.slice(0, 50).map((p) => (
            <li key={p.id}>
              <a href={`/admin/people/${p.id}`}>{`${p.firstName} ${p.lastName}`}</a>
              {` (${p.kind})`}
            </li>
          ))}
        </ul>
      </section>,
    );
  })
  .get("/admin/people/:id", async (c) => {
    const person = await getPerson(c.var.deps.db, c.req.param("id"));
    if (!person) return problem(c, 404, "Not found", "There is no such person.");
    const link = await familyLink(c, person.value);
    return page(c, "Contact preferences", <PersonPage c={c} person={person.value} link={link} />);
  })
  .post("/admin/people/:id", async (c) => {
    const { db } = c.var.deps;
    const current = await getPerson(db, c.req.param("id"));
    if (!current) return problem(c, 404, "Not found", "There is no such person.");
    const body = await c.req.parseBody();
    const language = Language.safeParse(body.language ?? "");
    // The page again, as stored, with what stopped the save.
    const refused = async (error: string, status: 400 | 409) =>
      page(
        c,
        "Contact preferences",
        <PersonPage c={c} person={current.value} link={await familyLink(c, current.value)} error={error} />,
        { status },
      );
    if (!language.success) return refused(`Preferred language: ${language.error.issues[0].message}`, 400);
    const on = (key: string) => body[key] === "on";
    const next: Person = {
      ...current.value,
      language: language.data || undefined,
      devices: current.value.devices.map((d) => ({
        ...d,
        general: on(`${d.id}:general`),
        priority: on(`${d.id}:priority`),
        emergency: on(`${d.id}:emergency`),
        text: d.kind === "phone" ? on(`${d.id}:text`) : d.text,
      })),
    };
    try {
      await savePerson(db, current, next);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      return refused("Someone changed this person meanwhile: reload and try again.", 409);
    }
    return c.redirect(`/admin/people/${current.value.id}`, 303);
  });
