/** /admin/users's views: the users list with the New user form, and one user's rights and password. */
import {
  type Calendar,
  MESSAGE_TYPE_LABEL,
  MESSAGE_TYPES,
  MODE_LABEL,
  MODES,
  type Person,
  RECIPIENT_TYPE_LABEL,
  RECIPIENT_TYPES,
  type School,
  type User,
} from "../services/model.ts";
import { ColumnHeads } from "./Labels.tsx";
import { CsrfField } from "./Layout.tsx";

export type Values = Record<string, string | string[]>;

export function valuesOf(u: User): Values {
  const r = u.rights;
  return {
    name: u.name,
    title: u.title,
    modes: r.modes,
    messageTypes: r.messageTypes,
    recipientTypes: r.recipientTypes,
    viewEditAll: r.viewEditAll ? "on" : "",
    outsideQuietHours: r.outsideQuietHours ? "on" : "",
    admin: r.admin ? "on" : "",
    allCalendars: r.calendars === "all" ? "on" : "",
    calendars: r.calendars === "all" ? [] : r.calendars,
    disabled: u.disabled ? "on" : "",
    personId: u.personId ?? "",
  };
}

/** What the form's pieces need besides the values: calendars, and the roster's staff to link to. */
export interface Choices {
  calendars: Calendar[];
  staff: Person[];
  schools: School[];
}

/** "Sofia Haddad (Lincoln Elementary)": a staff record as a person reads it. */
function staffLabel(p: Person, schools: School[]): string {
  const names = p.schoolIds.map((id) => schools.find((s) => s.id === id)?.name ?? id);
  return `${p.firstName} ${p.lastName}${names.length ? ` (${names.join(", ")})` : ""}`;
}

/** A user's linked record in the users list; a record the roster import has since removed says so. */
function linkedLabel(personId: string, person: Person | undefined, schools: School[]): string {
  return person && !person.removedAt ? staffLabel(person, schools) : `${personId} (no longer on the roster)`;
}

function StaffRecordField({ v, errors, choices }: { v: Values; errors: Record<string, string>; choices: Choices }) {
  const value = String(v.personId ?? "");
  const linked = choices.staff.find((p) => p.id === value);
  return (
    <label>
      Roster staff record
      <input
        name="personId"
        value={value}
        list="staff-records"
        maxLength={64}
        autocomplete="off"
        aria-invalid={errors.personId ? "true" : undefined}
      />
      <span class="hint">
        {linked
          ? `Linked to ${staffLabel(linked, choices.schools)}. Empty the field to unlink.`
          : "The staff member's id on the roster (type a name to choose from the list); empty for none."}
      </span>
      {errors.personId && <span class="error">{`Roster staff record: ${errors.personId}`}</span>}
      <datalist id="staff-records">
        {choices.staff.map((p) => <option key={p.id} value={p.id}>{staffLabel(p, choices.schools)}</option>)}
      </datalist>
    </label>
  );
}

function RightsFields({ v, errors, choices }: { v: Values; errors: Record<string, string>; choices: Choices }) {
  const has = (k: string, x: string) => [v[k] ?? []].flat().includes(x);
  const checks = (name: string, legend: string, options: readonly string[], label: (x: string) => string) => (
    <fieldset>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o} class="check">
          <input type="checkbox" name={name} value={o} checked={has(name, o)} />
          {label(o)}
        </label>
      ))}
      {errors[name] && <span class="error">{errors[name]}</span>}
    </fieldset>
  );
  const flag = (name: string, label: string) => (
    <label class="check">
      <input type="checkbox" name={name} checked={v[name] === "on"} />
      {label}
    </label>
  );
  return (
    <>
      <TextField name="name" label="Name" value={v.name} errors={errors} maxLength={100} />
      <label>
        Title
        <input name="title" value={String(v.title ?? "")} maxLength={100} />
      </label>
      <StaffRecordField v={v} errors={errors} choices={choices} />
      {checks("modes", "Delivery modes", MODES, (m) => MODE_LABEL[m as keyof typeof MODE_LABEL])}
      {checks("messageTypes", "Message types", MESSAGE_TYPES, (t) =>
        MESSAGE_TYPE_LABEL[t as keyof typeof MESSAGE_TYPE_LABEL])}
      {checks("recipientTypes", "Recipient types", RECIPIENT_TYPES, (t) =>
        RECIPIENT_TYPE_LABEL[t as keyof typeof RECIPIENT_TYPE_LABEL])}
      {flag("viewEditAll", "View/Edit All Scheduled Messages")}
      {flag("outsideQuietHours", "Send outside quiet hours")}
      {flag("admin", "Administrator")}
      <fieldset>
        <legend>Calendar rights</legend>
        {flag("allCalendars", "Every calendar")}
        {choices.calendars.map((c) => (
          <label key={c.id} class="check">
            <input type="checkbox" name="calendars" value={c.id} checked={has("calendars", c.id)} />
            {c.name}
          </label>
        ))}
      </fieldset>
      {flag("disabled", "Disabled (cannot sign in)")}
      {errors.form && <p class="error" role="alert">{errors.form}</p>}
    </>
  );
}

/** A labelled text input with its error beneath. */
function TextField(
  { name, label, value, errors, maxLength }: {
    name: string;
    label: string;
    value: Values[string] | undefined;
    errors: Record<string, string>;
    maxLength: number;
  },
) {
  return (
    <label>
      {label}
      <input name={name} value={String(value ?? "")} required maxLength={maxLength} />
      {errors[name] && <span class="error">{errors[name]}</span>}
    </label>
  );
}

/** A new password, for a new user or a reset. */
function PasswordField({ label, errors }: { label: string; errors: Record<string, string> }) {
  return (
    <label>
      {label}
      <input name="password" type="password" required autocomplete="new-password" />
      {errors.password && <span class="error">{errors.password}</span>}
    </label>
  );
}

/**
 * "View/Edit All on 2026-27 Lincoln Elementary only · Inbox, Email": a right is only as wide as the calendars it
 * reaches, so the list never says View/Edit All without saying where.
 */
function rightsSummary(u: User, calendars: Calendar[]): string {
  const r = u.rights;
  const names = r.calendars === "all" ? [] : r.calendars.map((id) => calendars.find((c) => c.id === id)?.name ?? id);
  const where = r.calendars === "all" ? "every calendar" : names.length ? `${names.join(", ")} only` : "no calendar";
  return [
    r.admin && "Administrator",
    r.viewEditAll ? `View/Edit All on ${where}` : `${where[0].toUpperCase()}${where.slice(1)}`,
    r.modes.map((m) => MODE_LABEL[m]).join(", "),
  ].filter(Boolean).join(" · ");
}

export function UsersPage(
  { users, linked, choices, values, errors, csrf }: {
    users: User[];
    linked: Map<string, Person>;
    choices: Choices;
    values: Values;
    errors: Record<string, string>;
    csrf: string;
  },
) {
  return (
    <section>
      <h1>Users and tool rights</h1>
      <table class="counts text">
        <ColumnHeads labels={["Name", "Login", "Roster staff record", "Rights", "State"]} />
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <th scope="row">
                <a href={`/admin/users/${u.id}`}>{u.name}</a>
              </th>
              <td>{u.login}</td>
              <td>{u.personId && linkedLabel(u.personId, linked.get(u.personId), choices.schools)}</td>
              <td>{rightsSummary(u, choices.calendars)}</td>
              <td>{u.disabled ? "Disabled" : "Active"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New user</h2>
      <form method="post" action="/admin/users" class="stack wide">
        <CsrfField token={csrf} />
        <TextField name="login" label="Login" value={values.login} errors={errors} maxLength={40} />
        <PasswordField label="Password" errors={errors} />
        <RightsFields v={values} errors={errors} choices={choices} />
        <button type="submit">Create user</button>
      </form>
    </section>
  );
}

export function UserPage(
  { user, choices, values, errors, csrf }: {
    user: User;
    choices: Choices;
    values: Values;
    errors: Record<string, string>;
    csrf: string;
  },
) {
  return (
    <section>
      <p>
        <a href="/admin/users">← Users</a>
      </p>
      <h1>{`${user.name} (${user.login})`}</h1>
      <form method="post" action={`/admin/users/${user.id}`} class="stack wide">
        <CsrfField token={csrf} />
        <RightsFields v={values} errors={errors} choices={choices} />
        <button type="submit">Save</button>
      </form>
      <h2>Reset password</h2>
      <form method="post" action={`/admin/users/${user.id}/password`} class="stack">
        <CsrfField token={csrf} />
        <PasswordField label="New password" errors={errors} />
        <button type="submit">Reset password</button>
      </form>
    </section>
  );
}
