/**
 * /unsubscribe/:personId/:deviceId/:sig: the one-click unsubscribe link of a
 * General email (services/unsubscribe.ts). No sign-in and no CSRF token
 * (csrf.ts lets exactly these POSTs through): a mail provider posts
 * `List-Unsubscribe=One-Click` here on the family's behalf (RFC 8058),
 * without cookies. Opening the link only asks, with a button, so a link
 * scanner's GET changes nothing; a POST turns General email off for the
 * link's address and says so, as often as it comes. A link whose signature
 * does not hold, for whatever reason, gets the same 404 and changes nothing.
 */
import { Hono } from "hono";
import { type Hook, zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { UnsubscribeConfirm, Unsubscribed, UnsubscribeLinkBroken } from "../components/Unsubscribe.tsx";
import { maskDevice } from "../services/preferences.ts";
import { turnOffGeneralEmail } from "../services/store/people.ts";
import { deviceForUnsubscribe } from "../services/unsubscribe.ts";
import type { AppEnv, Ctx } from "./env.ts";
import { SourcedId } from "./params.ts";
import { publicPage } from "./render.tsx";

const TITLE = "Unsubscribe";

const broken = (c: Ctx) => publicPage(c, TITLE, <UnsubscribeLinkBroken />, 404);

/** The link's parts; a malformed one is the same 404 as a wrong one. */
const LinkParams = z.object({
  personId: SourcedId,
  deviceId: z.string().min(1).max(64),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
const badLink: Hook<z.infer<typeof LinkParams>, AppEnv, string, "param", object, typeof LinkParams> = (result, c) => {
  if (!result.success) return broken(c);
};
const linkParams = zValidator<typeof LinkParams, "param", AppEnv, string, typeof badLink>("param", LinkParams, badLink);

export const unsubscribeRoutes = new Hono<AppEnv>()
  .get("/unsubscribe/:personId/:deviceId/:sig", linkParams, async (c) => {
    const { personId, deviceId, sig } = c.req.valid("param");
    const found = await deviceForUnsubscribe(c.var.deps.db, personId, deviceId, sig);
    if (!found) return broken(c);
    return publicPage(
      c,
      TITLE,
      <UnsubscribeConfirm action={c.req.path} address={maskDevice(found.device)} sender={c.var.district.name} />,
    );
  })
  .post("/unsubscribe/:personId/:deviceId/:sig", linkParams, async (c) => {
    const { db } = c.var.deps;
    const { personId, deviceId, sig } = c.req.valid("param");
    const found = await deviceForUnsubscribe(db, personId, deviceId, sig);
    if (!found) return broken(c);
    await turnOffGeneralEmail(db, found.device.address);
    return publicPage(c, TITLE, <Unsubscribed address={maskDevice(found.device)} sender={c.var.district.name} />);
  });
