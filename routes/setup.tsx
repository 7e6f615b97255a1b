import { Hono } from "hono";
import { z } from "zod";
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { CsrfField } from "../components/Layout.tsx";
import { createFirstAdmin, MIN_PASSWORD, needsFirstAdmin } from "../services/setup.ts";
import type { AppEnv, Ctx } from "./env.ts";
import { fieldErrors, page } from "./render.tsx";
import { checked } from "./params.ts";

const SetupForm = z.object({
  token: z.string().min(1, "Enter the set-up token printed in the server log"),
  login: z.string().trim().regex(/^[a-z0-9._-]{2,40}$/i, "2 to 40 letters, digits, dots, dashes or underscores"),
  name: z.string().trim().min(1, "Enter a name").max(100, "at most 100 characters"),
  password: z.string().min(MIN_PASSWORD, `at least ${MIN_PASSWORD} characters`).max(200, "at most 200 characters"),
  confirm: z.string(),
}).refine((f) => f.password === f.confirm, { path: ["confirm"], message: "does not match the password" });

function SetupPage(
  { csrf, values, errors }: { csrf: string; values: Record<string, string>; errors: Record<string, string> },
) {
  const field = (name: string, label: string, type = "text") => (
    <label>
      {label}
      <input name={name} type={type} value={type === "password" ? "" : values[name] ?? ""} required />
      {errors[name] && <span class="error">{errors[name]}</span>}
    </label>
  );
  return (
    <section>
      <h1>Set up Messenger</h1>
      <p>Create the first district administrator. The set-up token is printed in the server log at start-up.</p>
      {errors.form && <p class="error" role="alert">{errors.form}</p>}
      <form method="post" action="/setup" class="stack">
        <CsrfField token={csrf} />
        {field("token", "Set-up token", "password")}
        {field("login", "Login")}
        {field("name", "Full name")}
        {field("password", "Password", "password")}
        {field("confirm", "Confirm password", "password")}
        <button type="submit">Create administrator</button>
      </form>
    </section>
  );
}

const show = (c: Ctx, status: 200 | 400 | 403, values: Record<string, string>, errors: Record<string, string>) =>
  page(c, "Set up", <SetupPage csrf={c.get("csrf")} values={values} errors={errors} />, { status: status as 200 });

function tokenMatches(sent: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const setupRoutes = new Hono<AppEnv>()
  .get("/setup", async (c) => {
    if (!(await needsFirstAdmin(c.var.deps.db))) return c.redirect("/signin");
    return show(c, 200, {}, {});
  })
  .post("/setup", checked("form", SetupForm), async (c) => {
    const { db, setupToken } = c.var.deps;
    if (!(await needsFirstAdmin(db))) return c.redirect("/signin", 303);
    const { raw, parsed: form } = c.req.valid("form");
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    const values = { login: text(raw.login), name: text(raw.name) };
    if (!form.success) return show(c, 400, values, fieldErrors(form.error.issues));
    if (!tokenMatches(form.data.token, setupToken)) {
      return show(c, 403, values, { token: "is not the set-up token in the server log" });
    }
    if (!(await createFirstAdmin(db, form.data))) return c.redirect("/signin", 303);
    return c.redirect("/signin", 303);
  });
