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
import { getPeople } from "../services/store/people.ts";
import { type AppEnv, type Ctx, currentFamily } from "./env.ts";
import { notFound } from "./errors.tsx";
import { checked, Id } from "./params.ts";
import { familySignedOut, publicPage } from "./render.tsx";

const NOT_FOUND = "There is no such message in your inbox.";

/** The inbox's filter and page; an empty student is "All students". */
const InboxQuery = z.object({
  student: z.string().max(64).optional().transform((s) => s || undefined),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

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
  .get("/family/messages", checked("query", InboxQuery), async (c) => {
    const family = currentFamily(c);
    const { db, clock } = c.var.deps;
    const { raw, parsed } = c.req.valid("query");
    const students = [...(await getPeople(db, family.studentIds)).values()]
      .filter((s) => !s.removedAt)
      .map((s) => ({ id: s.id, name: `${s.firstName} ${s.lastName}` }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const query: { student?: string; page?: number } = parsed.success ? parsed.data : {};
    const typed = typeof raw.student === "string" ? raw.student.slice(0, 64) : undefined;
    const field = parsed.success ? undefined : parsed.error.issues[0].path[0];
    const error = field === "page"
      ? "Page must be a whole number from 1."
      : field || (query.student && !students.some((s) => s.id === query.student))
      ? "Student is not one of your students."
      : undefined;
    const inbox = await familyInbox(
      db,
      family.id,
      clock.now(),
      error ? {} : { studentId: query.student, page: query.page },
    );
    return publicPage(
      c,
      "Messages",
      <FamilyMessagesPage
        name={`${family.firstName} ${family.lastName}`}
        inbox={inbox}
        filter={{ students, student: typed, error }}
        timeZone={c.var.district.timeZone}
        nav={await nav(c)}
      />,
      error ? 400 : 200,
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
