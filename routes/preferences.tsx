/**
 * /preferences/:personId/:sig: a guardian's own contact preferences, opened
 * from the signed link the school office sends (no sign-in). A bad
 * signature, an unknown or removed person and a non-guardian all get the
 * same 404, so a guessed link learns nothing. The form carries the CSRF
 * token like every other form; the family may choose message types per
 * device and the language, never the text flag or the addresses, which come
 * from the school's roster.
 */
import { Hono } from "hono";
import { CsrfField } from "../components/Layout.tsx";
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, type Person } from "../services/model.ts";
import {
  guardianForLink,
  languagesFor,
  maskDevice,
  parseFamilyChoices,
  saveFamilyChoices,
  withFamilyChoices,
} from "../services/preferences.ts";
import { formatInstant } from "../services/time.ts";
import type { AppEnv, Ctx } from "./env.ts";
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

function PreferencesForm(
  { c, person, saved, error }: { c: Ctx; person: Person; saved?: boolean; error?: string },
) {
  const tz = c.var.district.timeZone;
  return (
    <section>
      <h1>{`Contact preferences for ${person.firstName} ${person.lastName}`}</h1>
      <p>
        Choose which messages from the school reach each of your email addresses and phone numbers. To change an address
        or a number, contact your school office.
      </p>
      {saved && (
        <p class="notice done" role="status">
          Saved. Your choices apply to the next message the school sends.
        </p>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <form method="post" class="stack wide">
        <CsrfField token={c.var.csrf} />
        {person.devices.length === 0 && <p class="empty">The school has no email address or phone on file for you.</p>}
        {person.devices.map((d) => (
          <fieldset key={d.id}>
            <legend>{`${d.kind === "email" ? "Email" : "Phone"} ${maskDevice(d)}`}</legend>
            {MESSAGE_TYPES.map((t) => (
              <label key={t} class="check">
                <input type="checkbox" name={`${d.id}:${t}`} checked={d[t]} />
                {`${MESSAGE_TYPE_LABEL[t]} messages`}
              </label>
            ))}
            {d.kind === "phone" && !d.text && <p class="hint">This number receives calls only, no texts.</p>}
            {d.textOptOutAt && (
              <p class="notice">
                {`Opted out of texts on ${formatInstant(Date.parse(d.textOptOutAt), tz)}. `}
                To receive texts again, text START from this phone to the number the school's texts come from.
              </p>
            )}
          </fieldset>
        ))}
        <p class="hint">
          Emergency messages tell you about closures, lockdowns and other urgent events: we recommend keeping them on
          for at least one phone.
        </p>
        <label>
          Preferred language
          <select name="language">
            {languagesFor(person).map((l) => (
              <option key={l.code} value={l.code} selected={(person.language ?? "") === l.code}>{l.name}</option>
            ))}
          </select>
        </label>
        <button type="submit">Save</button>
      </form>
    </section>
  );
}

const TITLE = "Contact preferences";

export const preferenceRoutes = new Hono<AppEnv>()
  .get("/preferences/:personId/:sig", async (c) => {
    const person = await guardianForLink(c.var.deps.db, c.req.param("personId"), c.req.param("sig"));
    if (!person) return notFound(c);
    return publicPage(c, TITLE, <PreferencesForm c={c} person={person.value} />);
  })
  .post("/preferences/:personId/:sig", async (c) => {
    const { db } = c.var.deps;
    const current = await guardianForLink(db, c.req.param("personId"), c.req.param("sig"));
    if (!current) return notFound(c);
    const body = await c.req.parseBody();
    const choices = parseFamilyChoices(current.value, body);
    if (!choices.success) {
      // The boxes come back as sent where they can be read; nothing is saved.
      const shown = parseFamilyChoices(current.value, { ...body, language: current.value.language ?? "" });
      const person = shown.success ? withFamilyChoices(current.value, shown.data) : current.value;
      const error = `${choices.error.issues[0].message}. Nothing was changed.`;
      return publicPage(c, TITLE, <PreferencesForm c={c} person={person} error={error} />, 400);
    }
    const saved = await saveFamilyChoices(db, current, choices.data);
    if (saved === "gone") return notFound(c);
    if (saved === "conflict") {
      const error = "The school updated your record at the same moment. Nothing was changed: please save again.";
      const fresh = await guardianForLink(db, current.value.id, c.req.param("sig"));
      return publicPage(c, TITLE, <PreferencesForm c={c} person={(fresh ?? current).value} error={error} />, 409);
    }
    return publicPage(c, TITLE, <PreferencesForm c={c} person={saved} saved />);
  });
