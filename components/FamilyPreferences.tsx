/** A family's own contact preferences, opened from the signed link: message types per device and the language. */
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, type Person } from "../services/model.ts";
import { languagesFor, maskDevice } from "../services/preferences.ts";
import { formatInstant } from "../services/time.ts";
import { CsrfField } from "./Layout.tsx";

export function PreferencesForm(
  { person, saved, error, csrf, timeZone: tz }: {
    person: Person;
    saved?: boolean;
    error?: string;
    csrf: string;
    timeZone: string;
  },
) {
  return (
    <section>
      <nav aria-label="Family" class="bar">
        <a href="/family/messages">Messages</a>
      </nav>
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
        <CsrfField token={csrf} />
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
