import { Hono } from "hono";
import { Wizard, type WizardProps } from "../components/Wizard.tsx";
import { ConfirmPage } from "../components/Confirm.tsx";
import { checkUploads } from "../services/attachments.ts";
import {
  buildSendOptions,
  cancelScheduled,
  checkContent,
  checkIndividuals,
  checkRecipients,
  commitDraft,
  ContentForm,
  cutFields,
  type Draft,
  EditConflict,
  editDraft,
  type Errors,
  getDraft,
  htmlToText,
  newDraft,
  putDraft,
  RecipientsForm,
  refusedForRights,
  sanitizeEmailHtml,
  SendForm,
  type Step,
  STEPS,
} from "../services/compose.ts";
import { MERGE_FIELDS, MergeFieldError, renderMerge } from "../services/merge.ts";
import { type Calendar, MessageType, type Person } from "../services/model.ts";
import { chosenIndividuals, previewRecipients, resolveRecipients } from "../services/recipients.ts";
import { describeSchedule, occurrences } from "../services/recurrence.ts";
import { maySeeMessage, mayUseCalendar } from "../services/rights.ts";
import { saveAttachmentBytes } from "../services/store/attachments.ts";
import { getCalendar, listCalendars, listSchools } from "../services/store/district.ts";
import { getMessage } from "../services/store/messages.ts";
import { getPerson, listPeopleInSchool } from "../services/store/people.ts";
import { formatInstant } from "../services/time.ts";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { page, problem } from "./render.tsx";

const ID = /^[0-9A-Za-z_-]{1,64}$/;
type Body = Record<string, string | File | (string | File)[]>;

async function calendarsFor(c: Ctx): Promise<Calendar[]> {
  const user = currentUser(c);
  return (await listCalendars(c.var.deps.db)).filter((cal) => mayUseCalendar(user, cal.id));
}

/** The draft's calendar, if the user may use it. */
async function usableCalendar(c: Ctx, draft: Draft): Promise<Calendar | null> {
  const calendar = draft.recipients.calendarId ? await getCalendar(c.var.deps.db, draft.recipients.calendarId) : null;
  return calendar && mayUseCalendar(currentUser(c), calendar.id) ? calendar : null;
}

/** Find, the preview and a reload say so too when a chosen person is refused, not only Next. */
async function shownErrors(c: Ctx, draft: Draft, step: Step): Promise<Errors> {
  if (step !== "recipients") return {};
  return checkIndividuals(c.var.deps.db, draft.recipients, await usableCalendar(c, draft));
}

/** Everything a step needs besides the draft: preview, found people, a merge sample, next dates. */
async function stepExtras(c: Ctx, draft: Draft, step: Step): Promise<Partial<WizardProps>> {
  const { db, clock } = c.var.deps;
  const district = c.var.district;
  const usable = await usableCalendar(c, draft);
  if (step === "recipients") {
    const recipients = { ...draft.recipients, types: draft.recipients.types.filter((t) => t !== "") };
    const selection = RecipientsForm.parse(recipients);
    const preview = usable && selection.types.length
      ? await previewRecipients(db, {
        recipients: { ...selection, types: selection.types as never },
        modes: ["inbox", "email", "text", "voice"],
        // Typed in step 3 and not yet checked: "constructor" would index a device's prototype.
        type: MessageType.safeParse(draft.send.type).data ?? "general",
      }, usable)
      : null;
    const chosen = usable ? (await chosenIndividuals(db, draft.recipients.personIds, usable)).people : [];
    let found: Person[] = [];
    const needle = draft.recipients.find.trim().toLowerCase();
    if (usable && needle.length >= 2) {
      for (const kind of ["student", "guardian", "staff"] as const) {
        for (const p of await listPeopleInSchool(db, usable.schoolId, kind)) {
          if (`${p.firstName} ${p.lastName}`.toLowerCase().includes(needle)) found.push(p);
        }
      }
      found = found.slice(0, 25);
    }
    return { preview, chosen, found };
  }
  if (step === "content" && usable) {
    const { recipients } = await resolveRecipients(db, {
      recipients: { ...draft.recipients, types: draft.recipients.types as never },
    }, usable);
    const sample = recipients[0];
    if (!sample) return { mergeSample: null };
    const students = sample.person.kind === "student"
      ? [sample.person]
      : (await Promise.all(sample.studentIds.map((id) => getPerson(db, id)))).flatMap((p) => (p ? [p.value] : []));
    const school = (await listSchools(db)).find((s) => s.id === usable.schoolId) ?? { id: usable.schoolId, name: "" };
    const fields: Record<string, string> = {};
    for (const [f, def] of MERGE_FIELDS) {
      if (!def.needsStudent || students.length) {
        fields[f] = def.value({ recipient: sample.person, students, school, district });
      }
    }
    const ctx = { recipient: sample.person, students, school, district };
    const rendered: Record<string, string> = {};
    const texts = {
      ...draft.content,
      emailText: draft.content.emailText.trim() || htmlToText(sanitizeEmailHtml(draft.content.emailHtml)),
    };
    for (const f of ["subject", "emailText", "text", "voice", "inbox"] as const) {
      if (!texts[f].trim()) continue;
      try {
        rendered[f] = renderMerge(texts[f], ctx);
      } catch (e) {
        if (!(e instanceof MergeFieldError)) throw e;
        rendered[f] = `Cannot be filled: {{${e.field}}}`;
      }
    }
    return { mergeSample: { name: `${sample.person.firstName} ${sample.person.lastName}`, fields, rendered } };
  }
  if (step === "send") {
    const built = buildSendOptions(draft.send, draft.content, currentUser(c), district, usable, clock.now());
    if ("errors" in built) return {};
    return {
      upcoming: occurrences(built.schedule, {
        from: clock.now(),
        limit: 5,
        timeZone: district.timeZone,
        calendar: usable ?? undefined,
        includeSkipped: true,
      }),
      patternText: built.sendNow ? "Sends as soon as you press Send." : describeSchedule(built.schedule),
    };
  }
  return {};
}

async function renderStep(c: Ctx, draft: Draft, step: Step, errors: Errors = {}, status = 200) {
  const props: WizardProps = {
    draft,
    step,
    user: currentUser(c),
    csrf: c.var.csrf,
    errors,
    calendars: await calendarsFor(c),
    timeZone: c.var.district.timeZone,
    ...(await stepExtras(c, draft, step)),
  };
  const title = draft.base ? "Edit Message" : "New Message";
  return page(c, title, <Wizard {...props} />, { status: status as 200 });
}

/** Stores the posted fields of a step into the draft, exactly as typed. */
async function absorb(c: Ctx, draft: Draft, step: Step, body: Body): Promise<Errors> {
  if (step === "recipients") {
    draft.recipients = RecipientsForm.parse(body);
    return cutFields(body, draft.recipients);
  }
  if (step === "send") {
    draft.send = SendForm.parse(body);
    return cutFields(body, draft.send);
  }
  draft.content = ContentForm.parse(body);
  const cut = cutFields(body, draft.content);
  if (Object.keys(cut).length) return cut;
  const remove = new Set([body.remove ?? []].flat().map(String));
  draft.attachments = draft.attachments.filter((a) => !remove.has(a.id));
  const files = [body.files ?? []].flat().filter((f): f is File => f instanceof File && f.name !== "");
  if (files.length === 0) return {};
  const checked = checkUploads(draft.attachments, files);
  if ("problem" in checked) return { attachments: checked.problem };
  for (const [i, a] of checked.accepted.entries()) {
    await saveAttachmentBytes(c.var.deps.db, draft.messageId, a, new Uint8Array(await files[i].arrayBuffer()));
  }
  draft.attachments.push(...checked.accepted);
  return {};
}

async function checkStep(c: Ctx, draft: Draft, step: Step): Promise<Errors> {
  const { db, clock } = c.var.deps;
  const user = currentUser(c);
  const calendar = draft.recipients.calendarId ? await getCalendar(db, draft.recipients.calendarId) : null;
  if (step === "recipients") return checkRecipients(db, draft.recipients, user, calendar);
  if (step === "content") return checkContent(draft.content, draft.recipients);
  const built = buildSendOptions(draft.send, draft.content, user, c.var.district, calendar, clock.now());
  return "errors" in built ? built.errors : {};
}

export const composeRoutes = new Hono<AppEnv>()
  .post("/messages/new", async (c) => {
    const { db, clock } = c.var.deps;
    const draft = await newDraft(db, currentUser(c), await calendarsFor(c), c.var.district, clock.now());
    return c.redirect(`/compose/${draft.id}/recipients`, 303);
  })
  .get("/messages/:id/edit", async (c) => {
    const id = c.req.param("id");
    const { db, clock } = c.var.deps;
    const draft = ID.test(id) ? await editDraft(db, currentUser(c), id, clock.now()) : null;
    if (!draft) return notFound(c);
    return c.redirect(`/compose/${draft.id}/recipients`, 303);
  })
  .get("/compose/:draft/:step", async (c) => {
    const { draft: id, step } = c.req.param();
    const draft = await getDraft(c.var.deps.db, currentUser(c), id);
    if (!draft || !STEPS.includes(step as Step)) return draftGone(c);
    return renderStep(c, draft, step as Step, await shownErrors(c, draft, step as Step));
  })
  .post("/compose/:draft/preview", async (c) => {
    const draft = await getDraft(c.var.deps.db, currentUser(c), c.req.param("draft"));
    if (!draft) return draftGone(c);
    draft.recipients = RecipientsForm.parse(await c.req.parseBody({ all: true }));
    const errors = await shownErrors(c, draft, "recipients");
    return renderStep(c, draft, "recipients", errors, Object.keys(errors).length ? 400 : 200);
  })
  .post("/compose/:draft/:step", async (c) => {
    const { draft: id, step: raw } = c.req.param();
    const { db, clock } = c.var.deps;
    const user = currentUser(c);
    const draft = await getDraft(db, user, id);
    if (!draft || !STEPS.includes(raw as Step)) return draftGone(c);
    const step = raw as Step;
    const body = await c.req.parseBody({ all: true }) as Body;
    const go = String(body.go ?? "");
    const absorbErrors = await absorb(c, draft, step, body);
    await putDraft(db, draft);
    if (Object.keys(absorbErrors).length) {
      return renderStep(c, draft, step, absorbErrors, absorbErrors.attachments ? 413 : 400);
    }
    if (go === "preview" || go === "find") {
      const errors = await shownErrors(c, draft, step);
      return renderStep(c, draft, step, errors, Object.keys(errors).length ? 400 : 200);
    }
    const forward = go === "commit" || STEPS.indexOf(go as Step) > STEPS.indexOf(step);
    if (forward) {
      const errors = await checkStep(c, draft, step);
      if (Object.keys(errors).length) return renderStep(c, draft, step, errors, refusedForRights(errors) ? 403 : 400);
    }
    if (go === "commit") {
      try {
        const result = await commitDraft(db, user, c.var.district, draft, clock.now());
        if ("errors" in result) {
          return renderStep(c, draft, result.step, result.errors, refusedForRights(result.errors) ? 403 : 400);
        }
        // Send Now is in Processing at once, not at the next cron minute.
        if (result.sendNow) await c.var.deps.dispatcher.startOccurrence(result.message.id, clock.now());
        const done = draft.base ? "updated" : result.sendNow ? "queued" : "scheduled";
        return c.redirect(`/messages?done=${done}`, 303);
      } catch (e) {
        if (!(e instanceof EditConflict)) throw e;
        const when = e.at ? formatInstant(Date.parse(e.at), c.var.district.timeZone) : "just now";
        return renderStep(c, draft, "send", {
          form: `This message was changed by ${e.by} at ${when} after you started editing, so your changes were not ` +
            `saved. Open it again from View Details to see their version, then make your changes again.`,
        }, 409);
      }
    }
    const target = STEPS.includes(go as Step) ? go : step;
    return c.redirect(`/compose/${draft.id}/${target}`, 303);
  })
  .get("/messages/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const message = ID.test(id) ? await getMessage(c.var.deps.db, id) : null;
    if (!message || !maySeeMessage(currentUser(c), message.value) || message.value.nextAt === null) return notFound(c);
    const series = message.value.schedule.kind === "recurring";
    const what = series ? "Cancel Series" : "Cancel Message";
    return page(
      c,
      what,
      <ConfirmPage
        title={what}
        action={`/messages/${id}/cancel`}
        csrf={c.var.csrf}
        back={`/messages/${id}`}
        backLabel="Keep it"
      >
        <p>
          {series
            ? `Cancel every future occurrence of "${message.value.subject}"? Occurrences already sent are not affected.`
            : `Cancel "${message.value.subject}"? Nobody will receive it.`}
        </p>
      </ConfirmPage>,
    );
  })
  .post("/messages/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const { db, clock } = c.var.deps;
    const user = currentUser(c);
    const message = ID.test(id) ? await getMessage(db, id) : null;
    if (!message || !maySeeMessage(user, message.value) || message.value.nextAt === null) return notFound(c);
    const body = await c.req.parseBody();
    if (body.confirm !== "yes") {
      return problem(c, 400, "Not canceled", "Nothing was canceled: press Confirm on the cancel page to cancel.");
    }
    await cancelScheduled(db, user, id, clock.now());
    return c.redirect("/messages?done=canceled", 303);
  });

function notFound(c: Ctx) {
  return problem(c, 404, "Not found", "There is no scheduled message here, or it is not one you may edit.");
}

function draftGone(c: Ctx) {
  return problem(
    c,
    404,
    "Draft not found",
    "This draft has expired (drafts are kept for a day) or belongs to someone else. Start again from Upcoming Messages.",
  );
}
