/** /admin/people's pages: finding a person, and what reaches each of their devices. */
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, type Person } from "../services/model.ts";
import { formatInstant } from "../services/time.ts";
import { Island } from "./Island.tsx";
import { CsrfField } from "./Layout.tsx";

export function FindPeople({ q, found }: { q: string; found: Person[] }) {
  return (
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
    </section>
  );
}

export function PersonPage(
  { person, link, error, csrf, timeZone: tz }: {
    person: Person;
    /** The family's own preferences link, for guardians on the roster. */
    link?: string;
    error?: string;
    csrf: string;
    timeZone: string;
  },
) {
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
        <CsrfField token={csrf} />
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
