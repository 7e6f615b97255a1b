/**
 * Send a test to me, on Content and Send Options: where the copies go (the
 * sender's own email and phone, from their roster staff record or typed),
 * and what the last test did. Its button is one of the wizard form's, so the
 * test is of the step as typed; it brings the person back to this section.
 */
import { MODE_LABEL } from "../../services/model.ts";
import type { TestSendResult, TestSendShown } from "../../services/compose/test_send.ts";
import { FieldError } from "./fields.tsx";
import { inWords } from "./LargeSendConfirm.tsx";
import type { WizardProps } from "./props.ts";

const TESTED = ["email", "text", "voice"];

/** What a test sends: on Send Options the modes ticked above, as posted with the button; on Content those chosen. */
function what(shown: TestSendShown, step: WizardProps["step"]): string {
  const marked = "marked [Test] and filled in as the first recipient would get it, in their language. " +
    "Nobody else receives it; " +
    "the message's History records it.";
  if (step === "send") return `Sends you a copy by each mode ticked above except Inbox, ${marked}`;
  const tested = shown.modes.filter((m) => TESTED.includes(m)).map((m) => MODE_LABEL[m]);
  if (tested.length === 0) return "Choose Email, Text or Voice on Send Options to send yourself a test of them.";
  return `Sends you a copy by ${inWords(tested)}, as chosen on Send Options, ${marked}`;
}

function Result({ result }: { result: TestSendResult }) {
  const failed = result.copies.some((c) => !c.sent);
  return (
    <div class={failed ? "test-result failed" : "notice done test-result"} role={failed ? "alert" : "status"}>
      <p>
        <strong>{failed ? `Not every test copy went out (${result.at}).` : `Test sent at ${result.at}.`}</strong>
        {result.filledFor && ` Filled in for ${result.filledFor}${result.inLanguage ? `, ${result.inLanguage}` : ""}.`}
      </p>
      <ul>
        {result.copies.map((c) => (
          <li key={c.mode}>
            {c.sent
              ? `${MODE_LABEL[c.mode]} to ${c.to}: sent${c.languageNote ? ` (${c.languageNote})` : ""}`
              : `${MODE_LABEL[c.mode]} to ${c.to}: refused by the provider (${c.problem ?? "no reason given"})`}
          </li>
        ))}
        {result.skipped.map((s) => <li key={s.mode}>{`${MODE_LABEL[s.mode]}: not tested, ${s.why}`}</li>)}
      </ul>
    </div>
  );
}

export function TestSend({ draft, step, errors, testSend }: Pick<WizardProps, "draft" | "step" | "errors"> & {
  testSend: TestSendShown;
}) {
  const input = (name: "testEmail" | "testPhone", label: string, type: string, value: string, auto: string) => (
    <div class="field">
      <label for={name}>{label}</label>
      <input
        id={name}
        name={name}
        type={type}
        value={value}
        autocomplete={auto}
        aria-invalid={errors[name] ? "true" : undefined}
        aria-describedby={errors[name] ? `${name}-error` : undefined}
      />
      <FieldError errors={errors} name={name} />
    </div>
  );
  return (
    <section class="test-send" id="test-send" aria-labelledby="test-send-h">
      <h2 id="test-send-h">Send a test to me</h2>
      <p class="hint">{what(testSend, step)}</p>
      <div class="row">
        {input("testEmail", "Your email", "email", testSend.email, "email")}
        {input("testPhone", "Your phone (texts and calls)", "tel", testSend.phone, "tel")}
      </div>
      <div>
        <button
          type="submit"
          name="go"
          value="test"
          class="secondary"
          formAction={`/compose/${draft.id}/${step}#test-send`}
        >
          Send a test to me
        </button>
      </div>
      <FieldError errors={errors} name="testSend" />
      {testSend.result && <Result result={testSend.result} />}
    </section>
  );
}
