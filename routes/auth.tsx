import { ColumnHeads } from "../components/Labels.tsx";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { CsrfField } from "../components/Layout.tsx";
import { createSession, endSession, SESSION_TTL_MS } from "../services/auth.ts";
import { signIn } from "../services/sign_in.ts";
import { rotateCsrf } from "../middleware/csrf.ts";
import { SESSION_COOKIE } from "../middleware/session.ts";
import { needsFirstAdmin } from "../services/setup.ts";
import { DEMO_ACCOUNTS } from "../services/demo.ts";
import { formatInstant } from "../services/time.ts";
import { type AppEnv, clientAddress, type Ctx } from "./env.ts";
import { fieldErrors, page } from "./render.tsx";
import { checked } from "./params.ts";

const SignInForm = z.object({
  login: z.string().trim().min(1, "Enter your login").max(
    100,
    "at most 100 characters",
  ),
  password: z.string().min(1, "Enter your password").max(
    200,
    "at most 200 characters",
  ),
  next: z.string().default("/messages"),
});

const HERE = "http://messenger.invalid";

/**
 * Only a path of this site, judged as a browser reads it: browsers drop tabs
 * and newlines and read "\\" as "/", so "/\t/evil.example" is "//evil.example".
 * A real next never holds a control character, so one is refused outright.
 */
function safeNext(next: string | undefined): string {
  // deno-lint-ignore no-control-regex
  if (!next?.startsWith("/") || /[\x00-\x1f\x7f]/.test(next)) return "/messages";
  try {
    const url = new URL(next, HERE);
    const path = url.pathname + url.search + url.hash;
    return url.origin === HERE && new URL(path, HERE).origin === HERE && !path.startsWith("//") ? path : "/messages";
  } catch {
    return "/messages";
  }
}

function SignInPage(
  { csrf, values, errors, demo, next, setup }: {
    csrf: string;
    setup: boolean;
    values: { login: string };
    errors: Record<string, string>;
    demo: boolean;
    next: string;
  },
) {
  return (
    <section class="signin">
      <h1>Sign in</h1>
      {setup && (
        <p class="notice">
          Messenger has no administrator yet. <a href="/setup">Set up Messenger</a> with the token from the server log.
        </p>
      )}
      {errors.form && <p class="error" role="alert">{errors.form}</p>}
      <form method="post" action="/signin" class="stack">
        <CsrfField token={csrf} />
        <input type="hidden" name="next" value={next} />
        <label>
          Login
          <input
            name="login"
            value={values.login}
            autocomplete="username"
            required
            maxLength={100}
            autofocus
          />
          {errors.login && <span class="error">{errors.login}</span>}
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxLength={200}
          />
          {errors.password && <span class="error">{errors.password}</span>}
        </label>
        <button type="submit">Sign in</button>
      </form>
      {demo && (
        <aside class="demo-accounts">
          <h2>Demo accounts</h2>
          <table>
            <ColumnHeads labels={["Login", "Password", "Who"]} />
            <tbody>
              {DEMO_ACCOUNTS.map((a) => (
                <tr key={a.login}>
                  <td>
                    <code>{a.login}</code>
                  </td>
                  <td>
                    <code>{a.password}</code>
                  </td>
                  <td>{`${a.name}, ${a.title}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </aside>
      )}
    </section>
  );
}

async function render(
  c: Ctx,
  status: 200 | 400 | 401 | 429,
  values: { login: string },
  errors: Record<string, string>,
  next: string,
) {
  return page(
    c,
    "Sign in",
    <SignInPage
      csrf={c.get("csrf")}
      values={values}
      errors={errors}
      demo={c.get("deps").demo}
      next={next}
      setup={Boolean(c.var.deps.setupToken) && await needsFirstAdmin(c.var.deps.db)}
    />,
    { status: status as 200 },
  );
}

export const authRoutes = new Hono<AppEnv>()
  .get("/signin", (c) => {
    if (c.get("user")) return c.redirect(safeNext(c.req.query("next")));
    return render(c, 200, { login: "" }, {}, safeNext(c.req.query("next")));
  })
  .post("/signin", checked("form", SignInForm), async (c) => {
    const { raw, parsed: form } = c.req.valid("form");
    const login = typeof raw.login === "string" ? raw.login : "";
    if (!form.success) {
      return render(
        c,
        400,
        { login },
        fieldErrors(form.error.issues),
        "/messages",
      );
    }
    const { deps } = c.var;
    const next = safeNext(form.data.next);
    const attempt = { login: form.data.login, password: form.data.password, client: clientAddress(c) };
    const result = await signIn(deps.db, attempt, deps.clock);
    if (!result.ok) {
      const message = result.reason === "locked"
        ? `Too many failed sign-ins for this login. It is locked until ${
          formatInstant(result.until, c.get("district").timeZone)
        }; try again then, or ask your administrator.`
        : "The login or password is not right.";
      return render(c, result.reason === "locked" ? 429 : 401, { login }, {
        form: message,
      }, next);
    }
    // A new session and CSRF token: nothing set before sign-in (by another site, or a shared computer) carries over.
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous) await endSession(deps.db, previous);
    rotateCsrf(c);
    const token = await createSession(deps.db, result.user, deps.clock);
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "Lax",
      secure: deps.secureCookies || new URL(c.req.url).protocol === "https:",
      path: "/",
      maxAge: SESSION_TTL_MS / 1000,
    });
    return c.redirect(next, 303);
  })
  .post("/signout", async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await endSession(c.var.deps.db, token);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/signin", 303);
  });
