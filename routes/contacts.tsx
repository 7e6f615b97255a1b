/**
 * /admin/contacts: the Bad contacts report and its CSV, for administrators
 * (every school) and the office (View/Edit All: their calendars' schools).
 * Everyone else gets 403 (services/bad_contacts.ts).
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { BadContacts } from "../components/BadContacts.tsx";
import {
  type ContactRow,
  contactsCsv,
  contactsPage,
  ContactsQuery,
  contactsScope,
  scopeErrors,
} from "../services/bad_contacts.ts";
import { type Page, StaleCursor } from "../services/store/kv.ts";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { checked } from "./params.ts";
import { fieldErrors, page, problem } from "./render.tsx";

async function scopeOr403(c: Ctx) {
  const scope = await contactsScope(c.var.deps.db, currentUser(c));
  if (!scope) {
    throw new HTTPException(403, {
      message: "Only administrators, and office staff who see all messages of their schools, can open this page.",
    });
  }
  return scope;
}

export const contactsRoutes = new Hono<AppEnv>()
  .get("/admin/contacts", checked("query", ContactsQuery), async (c) => {
    const scope = await scopeOr403(c);
    const { parsed } = c.req.valid("query");
    const query = parsed.success ? parsed.data : ContactsQuery.parse({});
    const errors = parsed.success ? scopeErrors(scope, query) : fieldErrors(parsed.error.issues);
    let report: Page<ContactRow> = { items: [] };
    try {
      if (!Object.keys(errors).length) report = await contactsPage(c.var.deps.db, scope, query, c.var.deps.clock.now());
    } catch (e) {
      if (!(e instanceof StaleCursor)) throw e;
      errors.cursor = e.message;
    }
    const view = (
      <BadContacts
        scope={scope}
        page={report}
        query={query}
        timeZone={c.var.district.timeZone}
        errors={errors}
        linkPeople={currentUser(c).rights.admin}
      />
    );
    return page(c, "Bad contacts", view, { status: Object.keys(errors).length ? 400 : 200 });
  })
  .get("/admin/contacts.csv", checked("query", ContactsQuery), async (c) => {
    const scope = await scopeOr403(c);
    const { parsed } = c.req.valid("query");
    const errors = parsed.success ? scopeErrors(scope, parsed.data) : fieldErrors(parsed.error.issues);
    if (!parsed.success || Object.keys(errors).length) {
      const said = Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join("; ");
      return problem(c, 400, "Export CSV", `Nothing was exported. ${said}`);
    }
    return c.body(contactsCsv(c.var.deps.db, scope, parsed.data, c.var.deps.clock.now()), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="bad-contacts.csv"',
    });
  });
