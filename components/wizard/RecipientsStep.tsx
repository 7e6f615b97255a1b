/** Step 1, Recipients: calendar, recipient types, grades, individual people, and who this reaches. */
import { RECIPIENT_TYPE_LABEL, RECIPIENT_TYPES } from "../../services/model.ts";
import { RecipientSummary } from "../Details.tsx";
import { Checkbox, FieldError, Fieldset } from "./fields.tsx";
import type { WizardProps } from "./props.ts";

const GRADES = ["K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

export function RecipientsStep({ draft, user, errors, calendars, preview, found = [], chosen = [] }: WizardProps) {
  const r = draft.recipients;
  return (
    <>
      <label>
        Calendar
        <select
          name="calendarId"
          aria-invalid={errors.calendarId ? "true" : undefined}
          aria-describedby={errors.calendarId ? "calendarId-error" : undefined}
        >
          {calendars.map((c) => <option key={c.id} value={c.id} selected={c.id === r.calendarId}>{c.name}</option>)}
        </select>
      </label>
      <FieldError errors={errors} name="calendarId" />
      <Fieldset legend="Recipient types" errors={errors} name="types">
        {RECIPIENT_TYPES.filter((t) => user.rights.recipientTypes.includes(t)).map((t) => (
          <Checkbox key={t} name="types" value={t} checked={r.types.includes(t)} label={RECIPIENT_TYPE_LABEL[t]} />
        ))}
      </Fieldset>
      <Fieldset legend="Grades (none ticked: every grade)" errors={errors} name="grades">
        <div class="grid-checks">
          {GRADES.map((g) => (
            <Checkbox
              key={g}
              name="grades"
              value={g}
              checked={r.grades.includes(g)}
              label={g === "K" ? "K" : `Grade ${g}`}
            />
          ))}
        </div>
      </Fieldset>
      <label class="check">
        <input type="checkbox" name="oneCopyPerGuardian" checked={r.oneCopyPerGuardian} />
        Contacts message limit: one copy per guardian, however many students they have
      </label>
      {user.rights.recipientTypes.includes("individuals") && (
        <Fieldset legend="Individual people" errors={errors} name="personIds">
          {chosen.map((p) => (
            <Checkbox
              key={p.id}
              name="personIds"
              value={p.id}
              checked
              label={`${p.firstName} ${p.lastName} (${p.kind})`}
            />
          ))}
          <label>
            Find by name
            <input type="search" name="find" value={r.find} maxLength={100} />
          </label>
          <button type="submit" name="go" value="find" class="secondary">Find</button>
          {found.filter((p) =>
            !r.personIds.includes(p.id)
          ).map((p) => (
            <Checkbox
              key={p.id}
              name="personIds"
              value={p.id}
              label={`${p.firstName} ${p.lastName} (${p.kind}${p.grade ? `, grade ${p.grade}` : ""})`}
            />
          ))}
        </Fieldset>
      )}
      <div id="recipient-preview" aria-live="polite">
        {preview
          ? <RecipientSummary preview={preview} />
          : <p class="notice">Choose a calendar and recipients to see who this reaches.</p>}
      </div>
      <button
        type="submit"
        name="go"
        value="preview"
        class="secondary"
        hx-post={`/compose/${draft.id}/preview`}
        hx-trigger="click, change from:closest form"
        hx-target="#recipient-preview"
        hx-select="#recipient-preview"
        hx-swap="outerHTML"
        hx-push-url="false"
      >
        Update preview
      </button>
    </>
  );
}
