/** /admin/users: staff accounts and tool rights. Only administrators reach /admin; everyone else gets 403. */
import { Hono } from "hono";
import { type Choices, UserPage, UsersPage, type Values, valuesOf } from "../components/AdminUsers.tsx";
import { adminOnly } from "../middleware/admin_only.ts";
import type { User } from "../services/model.ts";
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
import { notFound } from "./errors.tsx";
import { checked, idParam } from "./params.ts";
import { fieldErrors, page } from "./render.tsx";

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

async function usersPage(c: Ctx, values: Values, errors: Record<string, string>, status = 200) {
  const { db } = c.var.deps;
  const users = await listUsers(db);
  const [choices, linked] = await Promise.all([choicesOf(c), getPeople(db, users.flatMap((u) => u.personId ?? []))]);
  const view = (
    <UsersPage users={users} linked={linked} choices={choices} values={values} errors={errors} csrf={c.var.csrf} />
  );
  return page(c, "Users", view, { status: status as 200 });
}

async function userPage(c: Ctx, user: User, values: Values, errors: Record<string, string>, status = 200) {
  const view = <UserPage user={user} choices={await choicesOf(c)} values={values} errors={errors} csrf={c.var.csrf} />;
  return page(c, user.name, view, { status: status as 200 });
}

const NO_USER = "There is no such user.";

export const adminRoutes = new Hono<AppEnv>()
  .use("/admin/*", adminOnly)
  .get("/admin/users", (c) => usersPage(c, { allCalendars: "on" }, {}))
  .post("/admin/users", checked("form", NewUserForm), async (c) => {
    const { raw, parsed: form } = c.req.valid("form");
    const body = raw as Values;
    if (!form.success) return usersPage(c, body, fieldErrors(form.error.issues), 400);
    const unlinkable = await staffRecordProblem(c.var.deps.db, form.data.personId);
    if (unlinkable) return usersPage(c, body, { personId: unlinkable }, 400);
    const created = await addUser(c.var.deps.db, currentUser(c), form.data);
    if (created === "taken") return usersPage(c, body, { login: "is already used by another user" }, 409);
    return c.redirect("/admin/users", 303);
  })
  .get("/admin/users/:id", idParam(NO_USER), async (c) => {
    const user = await userOr404(c, c.req.valid("param").id);
    return userPage(c, user, valuesOf(user), {});
  })
  .post("/admin/users/:id", idParam(NO_USER), checked("form", UserForm), async (c) => {
    const { db } = c.var.deps;
    const me = currentUser(c);
    const user = await userOr404(c, c.req.valid("param").id);
    const { raw, parsed: form } = c.req.valid("form");
    const body = raw as Values;
    if (!form.success) return userPage(c, user, body, fieldErrors(form.error.issues), 400);
    if (user.id === me.id && (form.data.disabled || !form.data.admin)) {
      return userPage(c, user, body, {
        form: "You cannot disable yourself or take away your own administrator right: ask another administrator.",
      }, 400);
    }
    const unlinkable = await staffRecordProblem(db, form.data.personId);
    if (unlinkable) return userPage(c, user, body, { personId: unlinkable }, 400);
    await changeUser(db, me, user.id, form.data);
    return c.redirect(`/admin/users/${user.id}`, 303);
  })
  .post("/admin/users/:id/password", idParam(NO_USER), checked("form", PasswordForm), async (c) => {
    const user = await userOr404(c, c.req.valid("param").id);
    const { parsed: form } = c.req.valid("form");
    if (!form.success) return userPage(c, user, valuesOf(user), fieldErrors(form.error.issues), 400);
    await resetPassword(c.var.deps.db, currentUser(c), user.id, form.data.password);
    return c.redirect(`/admin/users/${user.id}`, 303);
  });

async function userOr404(c: Ctx, id: string): Promise<User> {
  const user = await getUser(c.var.deps.db, id);
  if (!user) throw notFound(NO_USER);
  return user.value;
}
