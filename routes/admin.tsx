/** /admin/users: staff accounts and tool rights. Only administrators reach /admin; everyone else gets 403. */
import { ColumnHeads } from "../components/Labels.tsx";
import { Hono, type MiddlewareHandler } from "hono";
import { CsrfField } from "../components/Layout.tsx";
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
import { findPeople } from "../services/people.ts";
import { listCalendars, listSchools } from "../services/store/district.ts";
import { getPeople } from "../services/store/people.ts";
import { getUser, listUsers } from "../services/store/users.ts";
import {
  addUser,
  changeUser,
  NewUserForm,
  PasswordForm,
  resetPassword,
  staffRecordProblem,
  UserForm,
} from "../services/users.ts";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { fieldErrors, page, problem } from "./render.tsx";

type Values = Record<string, string | string[]>;

function valuesOf(u: User): Values {
  const r = u.rights;
  return {
    name: u.name,
    title: u.title,
    modes: r.modes,
    messageTypes: r.messageTypes,
    recipientTypes: r.recipientTypes,
    viewEditAll: r.viewEditAll ? "on" : "",
    admin: r.admin ? "on" : "",
    allCalendars: r.calendars === "all" ? "on" : "",
    calendars: r.calendars === "all" ? [] : r.calendars,
    disabled: u.disabled ? "on" : "",
    personId: u.personId ?? "",
  };
}

/** What the form's pieces need besides the values: calendars, and the roster's staff to link to. */
interface Choices {
  calendars: Calendar[];
  staff: Person[];
  schools: School[];
}

async function choicesOf(c: Ctx): Promise<Choices> {
  const { db } = c.var.deps;
  const [calendars, staff, schools] = await Promise.all([
    listCalendars(db),
    findPeople(db, "", ["staff"]),
    listSchools(db),
  ]);
  staff.sort((a, b) => `${a.lastName} ${a.firstName}`.localeCompare(`${b.lastName} ${b.firstName}`));
  return { calendars, staff, schools };
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
      <label>
        Name
        <input name="name" value={String(v.name ?? "")} required maxLength={100} />
        {errors.name && <span class="error">{errors.name}</span>}
      </label>
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

async function usersPage(c: Ctx, values: Values, errors: Record<string, string>, status = 200) {
  const users = await listUsers(c.var.deps.db);
  const choices = await choicesOf(c);
  const linked = await getPeople(c.var.deps.db, users.flatMap((u) => u.personId ?? []));
  return page(
    c,
    "Users",
    <section>
      <h1>Users and tool rights</h1>
      <table class="counts">
        <ColumnHeads labels={["Name", "Login", "Roster staff record", "Rights", "State"]} />
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <th scope="row">
                <a href={`/admin/users/${u.id}`}>{u.name}</a>
              </th>
              <td>{u.login}</td>
              <td>{u.personId && linkedLabel(u.personId, linked.get(u.personId), choices.schools)}</td>
              <td>
                {[
                  u.rights.admin && "Administrator",
                  u.rights.viewEditAll && "View/Edit All",
                  u.rights.modes.map((m) => MODE_LABEL[m]).join(", "),
                ].filter(Boolean).join(" · ")}
              </td>
              <td>{u.disabled ? "Disabled" : "Active"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New user</h2>
      <form method="post" action="/admin/users" class="stack wide">
        <CsrfField token={c.var.csrf} />
        <label>
          Login
          <input name="login" value={String(values.login ?? "")} required maxLength={40} />
          {errors.login && <span class="error">{errors.login}</span>}
        </label>
        <label>
          Password
          <input name="password" type="password" required autocomplete="new-password" />
          {errors.password && <span class="error">{errors.password}</span>}
        </label>
        <RightsFields v={values} errors={errors} choices={choices} />
        <button type="submit">Create user</button>
      </form>
    </section>,
    { status: status as 200 },
  );
}

async function userPage(c: Ctx, user: User, values: Values, errors: Record<string, string>, status = 200) {
  const choices = await choicesOf(c);
  return page(
    c,
    user.name,
    <section>
      <p>
        <a href="/admin/users">← Users</a>
      </p>
      <h1>{`${user.name} (${user.login})`}</h1>
      <form method="post" action={`/admin/users/${user.id}`} class="stack wide">
        <CsrfField token={c.var.csrf} />
        <RightsFields v={values} errors={errors} choices={choices} />
        <button type="submit">Save</button>
      </form>
      <h2>Reset password</h2>
      <form method="post" action={`/admin/users/${user.id}/password`} class="stack">
        <CsrfField token={c.var.csrf} />
        <label>
          New password
          <input name="password" type="password" required autocomplete="new-password" />
          {errors.password && <span class="error">{errors.password}</span>}
        </label>
        <button type="submit">Reset password</button>
      </form>
    </section>,
    { status: status as 200 },
  );
}

/** Only administrators reach /admin; everyone else gets 403. */
export const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!currentUser(c).rights.admin) {
    return problem(c, 403, "Administrators only", "Only district administrators can open this page.");
  }
  await next();
};

export const adminRoutes = new Hono<AppEnv>()
  .use("/admin/*", adminOnly)
  .get("/admin/users", (c) => usersPage(c, { allCalendars: "on" }, {}))
  .post("/admin/users", async (c) => {
    const body = await c.req.parseBody({ all: true }) as Values;
    const form = NewUserForm.safeParse(body);
    if (!form.success) return usersPage(c, body, fieldErrors(form.error.issues), 400);
    const unlinkable = await staffRecordProblem(c.var.deps.db, form.data.personId);
    if (unlinkable) return usersPage(c, body, { personId: unlinkable }, 400);
    const created = await addUser(c.var.deps.db, currentUser(c), form.data);
    if (created === "taken") return usersPage(c, body, { login: "is already used by another user" }, 409);
    return c.redirect("/admin/users", 303);
  })
  .get("/admin/users/:id", async (c) => {
    const user = await getUser(c.var.deps.db, c.req.param("id"));
    if (!user) return problem(c, 404, "Not found", "There is no such user.");
    return userPage(c, user.value, valuesOf(user.value), {});
  })
  .post("/admin/users/:id", async (c) => {
    const { db } = c.var.deps;
    const me = currentUser(c);
    const user = await getUser(db, c.req.param("id"));
    if (!user) return problem(c, 404, "Not found", "There is no such user.");
    const body = await c.req.parseBody({ all: true }) as Values;
    const form = UserForm.safeParse(body);
    if (!form.success) return userPage(c, user.value, body, fieldErrors(form.error.issues), 400);
    if (user.value.id === me.id && (form.data.disabled || !form.data.admin)) {
      return userPage(c, user.value, body, {
        form: "You cannot disable yourself or take away your own administrator right: ask another administrator.",
      }, 400);
    }
    const unlinkable = await staffRecordProblem(db, form.data.personId);
    if (unlinkable) return userPage(c, user.value, body, { personId: unlinkable }, 400);
    await changeUser(db, me, user.value.id, form.data);
    return c.redirect(`/admin/users/${user.value.id}`, 303);
  })
  .post("/admin/users/:id/password", async (c) => {
    const { db } = c.var.deps;
    const user = await getUser(db, c.req.param("id"));
    if (!user) return problem(c, 404, "Not found", "There is no such user.");
    const form = PasswordForm.safeParse(await c.req.parseBody());
    if (!form.success) return userPage(c, user.value, valuesOf(user.value), fieldErrors(form.error.issues), 400);
    await resetPassword(db, currentUser(c), user.value.id, form.data.password);
    return c.redirect(`/admin/users/${user.value.id}`, 303);
  });
