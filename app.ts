/**
 * The HTTP application: middleware (security headers, district, CSRF,
 * session → user, sign-in guard) and the route modules. main.ts builds the
 * dependencies and serves it; tests call `app.request()` directly.
 */
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { compress } from "hono/compress";
import { bodyLimit } from "hono/body-limit";
import type { Context } from "hono";
import { formatBytes, MAX_ATTACHMENT_BYTES } from "./services/attachments.ts";
import { secureHeaders } from "hono/secure-headers";
import { userForSession } from "./services/auth.ts";
import { csrf } from "./middleware/csrf.ts";
import { readableForm } from "./middleware/form_body.ts";
import { noStore } from "./middleware/no_store.ts";
import { pathLimits } from "./middleware/path_limits.ts";
import { getDistrict } from "./services/store/district.ts";
import { authRoutes, SESSION_COOKIE } from "./routes/auth.tsx";
import type { AppEnv, Deps } from "./routes/env.ts";
import { messageRoutes } from "./routes/messages.tsx";
import { composeRoutes } from "./routes/compose.tsx";
import { sentRoutes } from "./routes/sent.tsx";
import { adminRoutes } from "./routes/admin.tsx";
import { peopleRoutes } from "./routes/people.tsx";
import { rosterRoutes } from "./routes/roster.tsx";
import { MAX_UPLOAD_BYTES } from "./services/roster/csv.ts";
import { problem } from "./routes/render.tsx";
import { staticRoutes } from "./routes/static.ts";
import { healthRoutes } from "./routes/health.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { setupRoutes } from "./routes/setup.tsx";
import { preferenceRoutes } from "./routes/preferences.tsx";

const PUBLIC_PATHS = ["/signin", "/setup", "/static/", "/healthz"];

function tooLarge(c: Context) {
  return c.text(
    `The upload is too large: attachments may be ${
      formatBytes(MAX_ATTACHMENT_BYTES)
    } per message in all. Nothing was changed.`,
    413,
  );
}

export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use((c, next) => {
    c.set("deps", deps);
    return next();
  });
  app.use(compress());
  // Bodies are read into memory: the wizard's content step may carry the
  // attachments (10 MB) plus the text; every other form is small.
  const wizardLimit = bodyLimit({ maxSize: MAX_ATTACHMENT_BYTES + 1024 * 1024, onError: tooLarge });
  const formLimit = bodyLimit({ maxSize: 256 * 1024, onError: tooLarge });
  // A roster export is one upload of up to MAX_UPLOAD_BYTES (a 50,000-student district is about 30 MB).
  const rosterLimit = bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: tooLarge });
  app.use((c, next) => {
    const limit = c.req.path.startsWith("/compose/")
      ? wizardLimit
      : c.req.path === "/admin/roster" && c.req.method === "POST"
      ? rosterLimit
      : formLimit;
    return limit(c, next);
  });
  app.use(secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  }));
  app.use(pathLimits);
  app.use(readableForm);
  app.route("/", staticRoutes);
  app.use(noStore);
  app.route("/", healthRoutes);
  // Before the session and CSRF middleware: Twilio signs its requests instead.
  app.route("/", webhookRoutes);

  app.use(async (c, next) => {
    const district = await getDistrict(deps.db);
    if (!district) {
      return c.text(
        "Messenger has no district yet: start it once to create one.",
        503,
      );
    }
    c.set("district", district);
    c.set("user", null);
    await next();
  });
  app.use(csrf);
  // After CSRF, before the session and the sign-in guard: families have no
  // account, the signed link admits them, and their form still needs the token.
  app.route("/", preferenceRoutes);

  app.use(async (c, next) => {
    c.set(
      "user",
      await userForSession(deps.db, getCookie(c, SESSION_COOKIE), deps.clock),
    );
    const path = c.req.path;
    if (
      !c.get("user") && !PUBLIC_PATHS.some((p) => path.startsWith(p)) &&
      path !== "/signout"
    ) {
      if (c.req.header("HX-Request") === "true") {
        c.header("HX-Redirect", "/signin");
        return c.body(null, 401);
      }
      if (c.req.method !== "GET") return c.redirect("/signin", 303);
      return c.redirect(
        `/signin?next=${encodeURIComponent(path + new URL(c.req.url).search)}`,
        303,
      );
    }
    await next();
  });

  app.get("/", (c) => c.redirect("/messages"));
  app.route("/", authRoutes);
  app.route("/", setupRoutes);
  app.route("/", composeRoutes);
  app.route("/", messageRoutes);
  app.route("/", sentRoutes);
  app.route("/", adminRoutes);
  app.route("/", peopleRoutes);
  app.route("/", rosterRoutes);

  app.notFound((c) =>
    c.get("district") ? problem(c, 404, "Not found", "There is no page at this address.") : c.text("Not found", 404)
  );
  app.onError((err, c) => {
    console.error(`${c.req.method} ${c.req.path} failed:`, err);
    return c.text(
      "Something went wrong on our side. Try again; if it keeps happening, tell your administrator.",
      500,
    );
  });
  return app;
}
