/**
 * The HTTP application: middleware (body limits, security headers, district,
 * CSRF, session → user, sign-in guard) and the route modules. main.ts builds
 * the dependencies and serves it; tests call `app.request()` directly.
 */
import { Hono } from "hono";
import { compress } from "hono/compress";
import { except } from "hono/combine";
import { secureHeaders } from "hono/secure-headers";
import { formLimit, rosterUploadLimit, wizardLimit } from "./middleware/body_limit.ts";
import { csrf } from "./middleware/csrf.ts";
import { district } from "./middleware/district.ts";
import { readableForm } from "./middleware/form_body.ts";
import { noStore } from "./middleware/no_store.ts";
import { pathLimits } from "./middleware/path_limits.ts";
import { familySession } from "./middleware/family_session.ts";
import { session } from "./middleware/session.ts";
import { signedIn } from "./middleware/signed_in.ts";
import { authRoutes } from "./routes/auth.tsx";
import type { AppEnv, Deps } from "./routes/env.ts";
import { onError } from "./routes/errors.tsx";
import { messageRoutes } from "./routes/messages.tsx";
import { composeRoutes } from "./routes/compose.tsx";
import { sentRoutes } from "./routes/sent.tsx";
import { recipientReportRoutes } from "./routes/recipient_report.tsx";
import { adminRoutes } from "./routes/admin.tsx";
import { contactsRoutes } from "./routes/contacts.tsx";
import { districtSettingsRoutes } from "./routes/district_settings.tsx";
import { peopleRoutes } from "./routes/people.tsx";
import { rosterRoutes } from "./routes/roster.tsx";
import { problem } from "./routes/render.tsx";
import { staticRoutes } from "./routes/static.ts";
import { healthRoutes } from "./routes/health.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { setupRoutes } from "./routes/setup.tsx";
import { preferenceRoutes } from "./routes/preferences.tsx";
import { unsubscribeRoutes } from "./routes/unsubscribe.tsx";
import { familyRoutes } from "./routes/family.tsx";
import { familySignInRoutes } from "./routes/family_signin.tsx";

export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use((c, next) => {
    c.set("deps", deps);
    return next();
  });
  app.use(compress());
  // Before anything reads a body: the wizard and the roster upload take more than a form.
  app.use("/compose/*", wizardLimit);
  app.use("/admin/roster", rosterUploadLimit);
  app.use(except(["/compose/*", "/admin/roster"], formLimit));
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
  // Before the district, session and CSRF middleware: Twilio and Mailgun sign their requests instead.
  app.route("/", webhookRoutes);

  app.use(district);
  app.use(csrf);
  app.use(session);
  app.use(signedIn);
  app.use("/family/*", familySession);

  app.get("/", (c) => c.redirect("/messages"));
  app.route("/", preferenceRoutes);
  app.route("/", unsubscribeRoutes);
  app.route("/", familySignInRoutes);
  app.route("/", familyRoutes);
  app.route("/", authRoutes);
  app.route("/", setupRoutes);
  app.route("/", composeRoutes);
  app.route("/", messageRoutes);
  app.route("/", sentRoutes);
  app.route("/", recipientReportRoutes);
  // Before adminRoutes, whose /admin/* guard admits administrators only: the office may see its schools' bad contacts.
  app.route("/", contactsRoutes);
  app.route("/", adminRoutes);
  app.route("/", peopleRoutes);
  app.route("/", rosterRoutes);
  app.route("/", districtSettingsRoutes);

  app.notFound((c) =>
    c.get("district") ? problem(c, 404, "Not found", "There is no page at this address.") : c.text("Not found", 404)
  );
  app.onError(onError);
  return app;
}
