/**
 * The family portal: /family/messages (their inbox), one message (opening
 * it is the read receipt), its attachments, and Sign out. The family
 * session middleware admits the guardian; anything not in their own inbox,
 * another family's message or a guessed id, is the same 404.
 */
import { Hono } from "hono";
import { deleteCookie, getCookie } from "hono/cookie";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { FamilyMessagePage, FamilyMessagesPage, FamilyNav } from "../components/FamilyInbox.tsx";
import { FAMILY_COOKIE } from "../middleware/family_session.ts";
import { familyInbox, openInboxMessage } from "../services/family_inbox.ts";
import { endFamilySession } from "../services/family_session.ts";
import { preferencesPath } from "../services/preferences.ts";
import { attachmentStream } from "../services/store/attachments.ts";
import { getInboxEntry } from "../services/store/inbox.ts";
import { type AppEnv, type Ctx, currentFamily } from "./env.ts";
import { notFound } from "./errors.tsx";
import { Id } from "./params.ts";
import { familySignedOut, publicPage } from "./render.tsx";

const NOT_FOUND = "There is no such message in your inbox.";

/** A delivery id holds the roster's person and device ids: any text, within the path limits. */
const MessageParams = z.object({ runId: Id, deliveryId: z.string().min(1).max(128) });
const messageParams = zValidator("param", MessageParams, (r) => {
  if (!r.success) throw notFound(NOT_FOUND);
});
const attachmentParams = zValidator("param", MessageParams.extend({ attachmentId: Id }), (r) => {
  if (!r.success) throw notFound(NOT_FOUND);
});

async function nav(c: Ctx) {
  const href = await preferencesPath(c.var.deps.db, currentFamily(c).id);
  return <FamilyNav preferencesHref={href} csrf={c.var.csrf} />;
}

export const familyRoutes = new Hono<AppEnv>()
  .get("/family/messages", async (c) => {
    const family = currentFamily(c);
    const inbox = await familyInbox(c.var.deps.db, family.id, c.var.deps.clock.now());
    const name = `${family.firstName} ${family.lastName}`;
    return publicPage(
      c,
      "Messages",
      <FamilyMessagesPage name={name} inbox={inbox} timeZone={c.var.district.timeZone} nav={await nav(c)} />,
    );
  })
  .get("/family/messages/:runId/:deliveryId", messageParams, async (c) => {
    const { runId, deliveryId } = c.req.valid("param");
    const { db, clock } = c.var.deps;
    const entry = await openInboxMessage(db, currentFamily(c).id, runId, deliveryId, clock.now());
    if (!entry) throw notFound(NOT_FOUND);
    return publicPage(
      c,
      entry.subject,
      <FamilyMessagePage item={{ runId, deliveryId, entry }} timeZone={c.var.district.timeZone} nav={await nav(c)} />,
    );
  })
  .get("/family/messages/:runId/:deliveryId/attachments/:attachmentId", attachmentParams, async (c) => {
    const { runId, deliveryId, attachmentId } = c.req.valid("param");
    const { db } = c.var.deps;
    const entry = await getInboxEntry(db, currentFamily(c).id, runId, deliveryId);
    const attachment = entry?.attachments.find((a) => a.id === attachmentId);
    if (!entry || !attachment) throw notFound(NOT_FOUND);
    return c.body(attachmentStream(db, entry.messageId, attachment.id), 200, {
      "Content-Type": attachment.contentType,
      "Content-Length": String(attachment.size),
      "Content-Disposition": `attachment; filename="${attachment.name.replaceAll(/[^\w.-]/g, "_")}"`,
    });
  })
  .post("/family/signout", async (c) => {
    const token = getCookie(c, FAMILY_COOKIE);
    if (token) await endFamilySession(c.var.deps.db, token);
    deleteCookie(c, FAMILY_COOKIE, { path: "/" });
    return familySignedOut(c, 200, "You are signed out");
  });
