/** /admin/settings: the district's sending rules (services/district_settings.ts). Administrators only. */
import { Hono } from "hono";
import { DistrictSettingsPage } from "../components/DistrictSettings.tsx";
import { adminOnly } from "../middleware/admin_only.ts";
import {
  readCallerIds,
  saveDistrictSettings,
  SettingsForm,
  type SettingsValues,
  settingsValues,
} from "../services/district_settings.ts";
import { listSchools } from "../services/store/district.ts";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { checked } from "./params.ts";
import { fieldErrors, page } from "./render.tsx";

async function settingsPage(c: Ctx, values: SettingsValues | null, errors: Record<string, string>, status = 200) {
  const schools = (await listSchools(c.var.deps.db)).sort((a, b) => a.name.localeCompare(b.name));
  const view = (
    <DistrictSettingsPage
      values={values ?? settingsValues(c.var.district, schools)}
      errors={errors}
      schools={schools}
      timeZone={c.var.district.timeZone}
      saved={c.req.query("saved") === "1"}
      csrf={c.var.csrf}
    />
  );
  return page(c, "District settings", view, { status: status as 200 });
}

/** Every field as typed (strings only, cut to a sane length), for the form to come back filled in. */
function typed(raw: Record<string, unknown>): SettingsValues {
  return Object.fromEntries(
    Object.entries(raw).flatMap(([k, v]) => typeof v === "string" && k !== "_csrf" ? [[k, v.slice(0, 100)]] : []),
  );
}

export const districtSettingsRoutes = new Hono<AppEnv>()
  .use("/admin/settings", adminOnly)
  .get("/admin/settings", (c) => settingsPage(c, null, {}))
  .post("/admin/settings", checked("form", SettingsForm), async (c) => {
    const { db, clock, phoneCountry } = c.var.deps;
    const { raw, parsed } = c.req.valid("form");
    const schools = await listSchools(db);
    const { callerIds, errors } = readCallerIds(raw, schools, phoneCountry ?? "US");
    const all = { ...(parsed.success ? {} : fieldErrors(parsed.error.issues)), ...errors };
    if (!parsed.success || Object.keys(all).length) return settingsPage(c, typed(raw), all, 400);
    await saveDistrictSettings(db, currentUser(c), c.var.district, schools, parsed.data, callerIds, clock.now());
    return c.redirect("/admin/settings?saved=1", 303);
  });
