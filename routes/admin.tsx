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
  RECIPIENT_TYPE_LABEL,
  RECIPIENT_TYPES,
  type User,
} from "../services/model.ts";
import { listCalendars } from "../services/store/district.ts";
import { getUser, listUsers } from "../services/store/users.ts";
import { addUser, changeUser, NewUserForm, PasswordForm, resetPassword, UserForm } from "../services/users.ts";
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
  };
}

function RightsFields({ v, errors, calendars }: { v: Values; errors: Record<string, string>; calendars: Calendar[] }) {
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
        {calendars.map((c) => (
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
  const calendars = await listCalendars(c.var.deps.db);
  return page(
    c,
    "Users",
    <section>
      <h1>Users and tool rights</h1>
      <table class="counts">
        <ColumnHeads labels={["Name", "Login", "Rights", "State"]} />
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <th scope="row">
                <a href={`/admin/users/${u.id}`}>{u.name}</a>
              </th>
              <td>{u.login}</td>
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
        <RightsFields v={values} errors={errors} calendars={calendars} />
        <button type="submit">Create user</button>
      </form>
    </section>,
    { status: status as 200 },
  );
}

async function userPage(c: Ctx, user: User, values: Values, errors: Record<string, string>, status = 200) {
  const calendars = await listCalendars(c.var.deps.db);
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
        <RightsFields v={values} errors={errors} calendars={calendars} />
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
