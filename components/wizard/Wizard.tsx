/** New Message and Edit Message: the three steps in one form, with the refusals summed up above it. */
import { STEP_LABEL, STEPS } from "../../services/compose/forms.ts";
import { CsrfField } from "../Layout.tsx";
import { ContentStep } from "./ContentStep.tsx";
import { LargeSendConfirm } from "./LargeSendConfirm.tsx";
import type { WizardProps } from "./props.ts";
import { RecipientsStep } from "./RecipientsStep.tsx";
import { SendOptionsStep } from "./SendOptionsStep.tsx";
import { TestSend } from "./TestSend.tsx";

export function Wizard(props: WizardProps) {
  const { draft, step, csrf, errors, largeSend, testSend, notice } = props;
  const index = STEPS.indexOf(step);
  const editing = Boolean(draft.base);
  // A wrong count is said in the confirmation right below, beside its box: once is enough.
  const summed = Object.entries(errors).filter(([k]) => !(largeSend && k === "confirmCount"));
  return (
    <section class="wizard">
      <p>
        <a href={editing ? `/messages/${draft.messageId}` : "/messages"}>
          {editing ? "← View Details" : "← Upcoming Messages"}
        </a>
      </p>
      <h1>{editing ? `Edit Message: ${draft.content.subject}` : "New Message"}</h1>
      {/* On Content the notice is a language button's: said in the Languages section, where the button leaves you. */}
      {notice && !(step === "content" && props.languages?.offered.length) && (
        <p class="notice done" role="status">{notice}</p>
      )}
      {summed.length > 0 && (
        <div class="error-summary" role="alert">
          <p>Please fix the following:</p>
          <ul>
            {summed.map(([k, v]) => <li key={k}>{v}</li>)}
          </ul>
        </div>
      )}
      <form
        method="post"
        action={`/compose/${draft.id}/${step}`}
        enctype={step === "content" ? "multipart/form-data" : undefined}
        class="stack wide"
        novalidate
      >
        <CsrfField token={csrf} />
        {/* First in the form, so Enter in its count box is its Send. */}
        {largeSend && <LargeSendConfirm largeSend={largeSend} draft={draft} errors={errors} />}
        {/* Enter in a field submits the form's first button: make that "Next", not a step link. */}
        <button
          type="submit"
          name="go"
          value={STEPS[index + 1] ?? "preview"}
          class="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
        >
          Next
        </button>
        <ol class="steps" aria-label="Steps">
          {STEPS.map((s, i) => (
            <li key={s}>
              <button type="submit" name="go" value={s} class="step" aria-current={s === step ? "step" : undefined}>
                {`${i + 1} ${STEP_LABEL[s]}`}
              </button>
            </li>
          ))}
        </ol>
        {step === "recipients" && <RecipientsStep {...props} />}
        {step === "content" && <ContentStep {...props} />}
        {step === "send" && <SendOptionsStep {...props} />}
        {testSend && step !== "recipients" && (
          <TestSend
            draft={draft}
            step={step}
            errors={errors}
            testSend={testSend}
          />
        )}
        <div class="wizard-nav">
          {index > 0 && <button type="submit" name="go" value={STEPS[index - 1]} class="secondary">Back</button>}
          {index < STEPS.length - 1 && <button type="submit" name="go" value={STEPS[index + 1]}>Next</button>}
          {step === "send" && <button type="submit" name="go" value="commit">{editing ? "Update" : "Send"}</button>}
        </div>
      </form>
      {editing && (
        // Apart from the form and below it, so the safe way on (Next, Update) is what the eye finds first.
        <section class="danger-zone" aria-labelledby="danger-h">
          <h2 id="danger-h">{draft.recurringAtStart ? "Cancel the whole series" : "Cancel this message"}</h2>
          <p>
            {draft.recurringAtStart
              ? "Stops every future occurrence. You are asked to confirm; occurrences already sent are not affected."
              : "Nobody will receive it. You are asked to confirm first."}
          </p>
          <a class="button danger-outline" href={`/messages/${draft.messageId}/cancel`}>
            {draft.recurringAtStart ? "Cancel Series" : "Cancel Message"}
          </a>
        </section>
      )}
    </section>
  );
}
