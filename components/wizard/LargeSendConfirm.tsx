/**
 * A large send's confirmation, at the top of Send Options after Send or
 * Update was refused for it: the count and the modes, and a box where the
 * sender types the count. It is part of the wizard's form, and its button
 * comes first in it, so Enter in the box sends with everything else as
 * typed; without JavaScript it is the same plain post.
 */
import type { LargeSend } from "../../services/compose/large_send.ts";
import { MODE_LABEL } from "../../services/model.ts";
import { FieldError } from "./fields.tsx";
import type { WizardProps } from "./props.ts";

/** "Email", "Email and Text", "Inbox, Email and Text". */
export function inWords(words: string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

export function LargeSendConfirm(
  { largeSend, draft, errors }: { largeSend: LargeSend } & Pick<WizardProps, "draft" | "errors">,
) {
  const count = largeSend.copies.toLocaleString("en-US");
  const verb = draft.base ? "Update" : "Send";
  const series = draft.send.repeat !== "none";
  return (
    <section class="large-send" id="large-send" aria-labelledby="large-send-h">
      <h2 id="large-send-h">{`${verb} to ${count} recipients?`}</h2>
      <p>
        {"This message goes to "}
        <strong>{`${count} recipients`}</strong>
        {" by "}
        <strong>{inWords(largeSend.modes.map((m) => MODE_LABEL[m]))}</strong>
        {series ? " at its first occurrence, as the roster stands today. " : ". "}
        {`Your district asks you to confirm any send to more than ${
          largeSend.threshold.toLocaleString("en-US")
        } recipients.`}
      </p>
      <div class="field">
        <label for="confirmCount">{`Type ${count} to confirm`}</label>
        <input
          id="confirmCount"
          name="confirmCount"
          value={largeSend.typed}
          inputMode="numeric"
          autocomplete="off"
          size={10}
          autoFocus
          aria-invalid={errors.confirmCount ? "true" : undefined}
          aria-describedby={errors.confirmCount ? "confirmCount-error" : undefined}
        />
        <FieldError errors={errors} name="confirmCount" />
      </div>
      <div class="large-send-actions">
        <button type="submit" name="go" value="commit">{`${verb} to ${count} recipients`}</button>
        <button type="submit" name="go" value="recipients" class="secondary">Change the recipients</button>
      </div>
    </section>
  );
}
