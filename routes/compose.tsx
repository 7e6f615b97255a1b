/** New Message, Edit Message (the three-step wizard, its Send / Update) and Cancel Message / Cancel Series. */
import { Hono } from "hono";
import { Wizard } from "../components/wizard/Wizard.tsx";
import { ConfirmPage } from "../components/Confirm.tsx";
import { cancelableMessage, cancelScheduled } from "../services/compose/cancel_series.ts";
import { commitDraft, EditConflict } from "../services/compose/commit.ts";
import { editDraft } from "../services/compose/edit_message.ts";
import { type Errors, refusedForRights } from "../services/compose/errors.ts";
import { RecipientsForm, redrawsStep, type Step, STEPS } from "../services/compose/forms.ts";
import type { LargeSend } from "../services/compose/large_send.ts";
import { newDraft } from "../services/compose/new_message.ts";
import { stepExtras } from "../services/compose/step_extras.ts";
import {
  absorbStep,
  checkStep,
  shownErrors,
  type StepBody,
  usableCalendars,
  type WizardContext,
} from "../services/compose/steps.ts";
import { sendTestToMe, type TestSendShown, testSendShown } from "../services/compose/test_send.ts";
import { isLanguageAction, pressLanguageButton } from "../services/compose/translate_step.ts";
import { type Draft, getDraft, putDraft } from "../services/store/drafts.ts";
import { formatInstant } from "../services/time.ts";
import { type AppEnv, type Ctx, currentUser } from "./env.ts";
import { notFound } from "./errors.tsx";
import { page, problem } from "./render.tsx";

const NOT_EDITABLE = "There is no scheduled message here, or it is not one you may edit.";

const ID = /^[0-9A-Za-z_-]{1,64}$/;

function wizardContext(c: Ctx): WizardContext {
  return {
    db: c.var.deps.db,
    user: currentUser(c),
    district: c.var.district,
    now: c.var.deps.clock.now(),
    translator: c.var.deps.translator,
  };
}

/** A posted field's text (the first, if repeated); undefined when it was not posted. */
function field(body: StepBody, name: string): string | undefined {
  const value = [body[name]].flat()[0];
  return typeof value === "string" ? value : undefined;
}

async function renderStep(
  c: Ctx,
  draft: Draft,
  step: Step,
  errors: Errors = {},
  status = 200,
  shown: { largeSend?: LargeSend; testSend?: TestSendShown; notice?: string } = {},
) {
  const { db } = c.var.deps;
  const user = currentUser(c);
  const extras = await stepExtras(wizardContext(c), draft, step);
  const testSend = step === "recipients" ? undefined : shown.testSend ?? await testSendShown(db, user, draft);
  const title = draft.base ? "Edit Message" : "New Message";
  return page(
    c,
    title,
    <Wizard
      draft={draft}
      step={step}
      user={user}
      csrf={c.var.csrf}
      errors={errors}
      calendars={await usableCalendars(db, user)}
      timeZone={c.var.district.timeZone}
      {...extras}
      largeSend={shown.largeSend}
      testSend={testSend}
      notice={shown.notice}
    />,
    { status: status as 200 },
  );
}

export const composeRoutes = new Hono<AppEnv>()
  .post("/messages/new", async (c) => {
    const { db, clock } = c.var.deps;
    const user = currentUser(c);
    const draft = await newDraft(db, user, await usableCalendars(db, user), c.var.district, clock.now());
    return c.redirect(`/compose/${draft.id}/recipients`, 303);
  })
  .get("/messages/:id/edit", async (c) => {
    const id = c.req.param("id");
    const { db, clock } = c.var.deps;
    const draft = ID.test(id) ? await editDraft(db, currentUser(c), id, clock.now()) : null;
    if (!draft) throw notFound(NOT_EDITABLE);
    return c.redirect(`/compose/${draft.id}/recipients`, 303);
  })
  .get("/compose/:draft/:step", async (c) => {
    const { draft: id, step } = c.req.param();
    const draft = await getDraft(c.var.deps.db, currentUser(c), id);
    if (!draft || !STEPS.includes(step as Step)) return draftGone(c);
    return renderStep(c, draft, step as Step, await shownErrors(c.var.deps.db, currentUser(c), draft, step as Step));
  })
  .post("/compose/:draft/preview", async (c) => {
    const draft = await getDraft(c.var.deps.db, currentUser(c), c.req.param("draft"));
    if (!draft) return draftGone(c);
    draft.recipients = RecipientsForm.parse(await c.req.parseBody({ all: true }));
    const errors = await shownErrors(c.var.deps.db, currentUser(c), draft, "recipients");
    return renderStep(c, draft, "recipients", errors, Object.keys(errors).length ? 400 : 200);
  })
  .post("/compose/:draft/:step", async (c) => {
    const { draft: id, step: raw } = c.req.param();
    const { db, clock } = c.var.deps;
    const user = currentUser(c);
    const draft = await getDraft(db, user, id);
    if (!draft || !STEPS.includes(raw as Step)) return draftGone(c);
    const step = raw as Step;
    const body = await c.req.parseBody({ all: true }) as StepBody;
    const go = String(body.go ?? "");
    const absorbErrors = await absorbStep(wizardContext(c), draft, step, body);
    await putDraft(db, draft);
    if (Object.keys(absorbErrors).length) {
      return renderStep(c, draft, step, absorbErrors, absorbErrors.attachments ? 413 : 400);
    }
    if (go === "test" && step !== "recipients") {
      const { providers, phoneCountry, publicUrl } = c.var.deps;
      const outcome = await sendTestToMe(
        { ...wizardContext(c), providers, phoneCountry: phoneCountry ?? "US", publicUrl },
        draft,
        { email: field(body, "testEmail"), phone: field(body, "testPhone") },
      );
      return renderStep(c, draft, step, outcome.errors, outcome.status, { testSend: outcome.shown });
    }
    if (step === "content" && isLanguageAction(go)) {
      const outcome = await pressLanguageButton(wizardContext(c), draft, go);
      await putDraft(db, draft);
      return renderStep(c, draft, step, outcome.errors, outcome.status, { notice: outcome.notice });
    }
    if (redrawsStep(go)) {
      // Update next deliveries says why there are none: the step's own refusals.
      const errors = step === "send" && go === "preview"
        ? await checkStep(wizardContext(c), draft, step)
        : await shownErrors(db, user, draft, step);
      return renderStep(c, draft, step, errors, Object.keys(errors).length ? 400 : 200);
    }
    const forward = go === "commit" || STEPS.indexOf(go as Step) > STEPS.indexOf(step);
    if (forward) {
      const errors = await checkStep(wizardContext(c), draft, step);
      if (Object.keys(errors).length) return renderStep(c, draft, step, errors, refusedForRights(errors) ? 403 : 400);
    }
    if (go === "commit") {
      try {
        const typed = field(body, "confirmCount");
        const result = await commitDraft(db, user, c.var.district, draft, clock.now(), typed);
        if ("errors" in result) {
          return renderStep(c, draft, result.step, result.errors, refusedForRights(result.errors) ? 403 : 400);
        }
        if ("confirm" in result) {
          // Asked the first time; a count typed and wrong is the box's error. Nothing is saved either way.
          const count = result.confirm.copies.toLocaleString("en-US");
          const errors: Errors = typed === undefined ? {} : {
            confirmCount: typed.trim()
              ? `You typed ${typed.trim().slice(0, 20)}: type ${count}, the number of recipients, to confirm`
              : `Type ${count}, the number of recipients, to confirm`,
          };
          return renderStep(c, draft, "send", errors, 422, { largeSend: result.confirm });
        }
        // Send Now is in Processing at once, not at the next cron minute.
        if (result.sendNow) await c.var.deps.dispatcher.startOccurrence(result.message.id, clock.now());
        const done = draft.base ? "updated" : result.sendNow ? "queued" : "scheduled";
        // Send Now is on In Progress at once: land where the message is.
        return c.redirect(`/messages?${result.sendNow ? "tab=in-progress&" : ""}done=${done}`, 303);
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
    const message = ID.test(id) ? await cancelableMessage(c.var.deps.db, currentUser(c), id) : null;
    if (!message) throw notFound(NOT_EDITABLE);
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
    const message = ID.test(id) ? await cancelableMessage(db, user, id) : null;
    if (!message) throw notFound(NOT_EDITABLE);
    const body = await c.req.parseBody();
    if (body.confirm !== "yes") {
      return problem(c, 400, "Not canceled", "Nothing was canceled: press Confirm on the cancel page to cancel.");
    }
    await cancelScheduled(db, user, id, clock.now());
    return c.redirect("/messages?done=canceled", 303);
  });

function draftGone(c: Ctx) {
  return problem(
    c,
    404,
    "Draft not found",
    "This draft has expired (drafts are kept for a day) or belongs to someone else. Start again from Upcoming Messages.",
  );
}
