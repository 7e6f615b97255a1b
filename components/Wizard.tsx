import type { ComponentChildren } from "preact";
import {
  CONTENT_MAX,
  type Draft,
  type Errors,
  type Step,
  STEP_LABEL,
  STEPS,
  WEEKDAY_LABEL,
  WEEKDAYS,
} from "../services/compose.ts";
import { formatBytes, MAX_ATTACHMENT_BYTES } from "../services/attachments.ts";
import { MERGE_FIELDS } from "../services/merge.ts";
import {
  type Calendar,
  MESSAGE_TYPE_LABEL,
  MESSAGE_TYPES,
  MODE_LABEL,
  MODES,
  type Person,
  RECIPIENT_TYPE_LABEL,
  RECIPIENT_TYPES,
  type User,
} from "../services/model.ts";
import type { RecipientPreview } from "../services/recipients.ts";
import type { Occurrence } from "../services/recurrence.ts";
import { formatInstant } from "../services/time.ts";
import { CsrfField } from "./Layout.tsx";
import { RecipientSummary } from "./Details.tsx";
import { Island } from "./Island.tsx";

const PREVIEW_LABEL: Record<string, string> = {
  subject: "Subject",
  emailText: "Email",
  text: "Text",
  voice: "Voice",
  inbox: "Inbox",
};

const GRADES = ["K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

export interface WizardProps {
  draft: Draft;
  step: Step;
  user: User;
  csrf: string;
  errors: Errors;
  calendars: Calendar[];
  timeZone: string;
  preview?: RecipientPreview | null;
  found?: Person[];
  chosen?: Person[];
  mergeSample?: { name: string; fields: Record<string, string>; rendered: Record<string, string> } | null;
  upcoming?: Occurrence[];
  patternText?: string;
}

function FieldError({ errors, name }: { errors: Errors; name: string }) {
  return errors[name] ? <span class="error" id={`${name}-error`}>{errors[name]}</span> : null;
}

function Fieldset(
  { legend, children, errors, name }: { legend: string; children: ComponentChildren; errors: Errors; name: string },
) {
  return (
    <fieldset aria-invalid={errors[name] ? "true" : undefined}>
      <legend>{legend}</legend>
      {children}
      <FieldError errors={errors} name={name} />
    </fieldset>
  );
}

function RecipientsStep({ draft, user, errors, calendars, preview, found = [], chosen = [] }: WizardProps) {
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
          <label key={t} class="check">
            <input type="checkbox" name="types" value={t} checked={r.types.includes(t)} />
            {RECIPIENT_TYPE_LABEL[t]}
          </label>
        ))}
      </Fieldset>
      <Fieldset legend="Grades (none ticked: every grade)" errors={errors} name="grades">
        <div class="grid-checks">
          {GRADES.map((g) => (
            <label key={g} class="check">
              <input type="checkbox" name="grades" value={g} checked={r.grades.includes(g)} />
              {g === "K" ? "K" : `Grade ${g}`}
            </label>
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
            <label key={p.id} class="check">
              <input type="checkbox" name="personIds" value={p.id} checked />
              {`${p.firstName} ${p.lastName} (${p.kind})`}
            </label>
          ))}
          <label>
            Find by name
            <input type="search" name="find" value={r.find} maxLength={100} />
          </label>
          <button type="submit" name="go" value="find" class="secondary">Find</button>
          {found.filter((p) =>
            !r.personIds.includes(p.id)
          ).map((p) => (
            <label key={p.id} class="check">
              <input type="checkbox" name="personIds" value={p.id} />
              {`${p.firstName} ${p.lastName} (${p.kind}${p.grade ? `, grade ${p.grade}` : ""})`}
            </label>
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

function ContentStep({ draft, errors, mergeSample }: WizardProps) {
  const c = draft.content;
  const described = (name: string, ...more: (string | false)[]) =>
    [errors[name] && `${name}-error`, ...more].filter(Boolean).join(" ") || undefined;
  const area = (name: keyof typeof c, label: string, rows: number, hint?: string) => (
    <div class="field">
      <label for={name}>{label}</label>
      {hint && <span class="hint" id={`${name}-hint`}>{hint}</span>}
      <textarea
        id={name}
        name={name}
        rows={rows}
        maxLength={CONTENT_MAX[name]}
        aria-invalid={errors[name] ? "true" : undefined}
        aria-describedby={described(name, Boolean(hint) && `${name}-hint`)}
      >
        {c[name]}
      </textarea>
      <FieldError errors={errors} name={name} />
    </div>
  );
  return (
    <>
      <div class="field">
        <label for="subject">Subject</label>
        <input
          id="subject"
          name="subject"
          value={c.subject}
          maxLength={CONTENT_MAX.subject}
          required
          aria-invalid={errors.subject ? "true" : undefined}
          aria-describedby={described("subject")}
        />
        <FieldError errors={errors} name="subject" />
      </div>
      <details class="merge-fields">
        <summary>Merge fields</summary>
        <ul>
          {[...MERGE_FIELDS].map(([f, d]) => (
            <li key={f}>
              <code>{`{{${f}}}`}</code> {d.label}
              {mergeSample?.fields[f] !== undefined && (
                <span class="sample">{` (for ${mergeSample.name}: ${mergeSample.fields[f] || "—"})`}</span>
              )}
            </li>
          ))}
        </ul>
      </details>
      {area(
        "emailHtml",
        "Email",
        8,
        "HTML is allowed: paragraphs, bold, lists, links. Scripts and styles are removed.",
      )}
      {area("emailText", "Email, plain-text part", 4, "Leave empty to make it from the email above.")}
      <div class="field">
        <label for="text">Text message</label>
        <textarea
          id="text"
          name="text"
          rows={4}
          maxLength={CONTENT_MAX.text}
          aria-invalid={errors.text ? "true" : undefined}
          aria-describedby={described("text", "text-count")}
        >
          {c.text}
        </textarea>
        <Island name="SegmentCounter" props={{ target: "text", initial: c.text }} />
        <FieldError errors={errors} name="text" />
      </div>
      {area("voice", "Voice script", 4, "Read aloud by text-to-speech.")}
      {area("inbox", "Inbox message", 4)}
      {mergeSample && Object.keys(mergeSample.rendered).length > 0 && (
        <section class="merge-preview" aria-labelledby="merge-preview-h">
          <h2 id="merge-preview-h">{`Preview for ${mergeSample.name}`}</h2>
          <dl class="facts">
            {Object.entries(mergeSample.rendered).map(([field, text]) => (
              <>
                <dt key={`${field}-t`}>{PREVIEW_LABEL[field]}</dt>
                <dd key={`${field}-d`} class="content">{text}</dd>
              </>
            ))}
          </dl>
          <p class="hint">This shows the text as last saved: press Preview to see your latest changes.</p>
        </section>
      )}
      <button type="submit" name="go" value="preview" class="secondary">Preview</button>
      <Fieldset legend="Attachments (email and inbox)" errors={errors} name="attachments">
        {draft.attachments.map((a) => (
          <label key={a.id} class="check">
            <input type="checkbox" name="remove" value={a.id} />
            {`Remove ${a.name} (${formatBytes(a.size)})`}
          </label>
        ))}
        <input type="file" name="files" multiple aria-label="Attach files" />
        <span class="hint">
          {`Up to ${formatBytes(MAX_ATTACHMENT_BYTES)} in all: PDF, images, Word, Excel, PowerPoint, text or CSV.`}
        </span>
      </Fieldset>
    </>
  );
}

function SendStep({ draft, user, errors, timeZone, upcoming, patternText }: WizardProps) {
  const s = draft.send;
  const radio = (name: string, value: string, label: string, checked: boolean) => (
    <label class="check">
      <input type="radio" name={name} value={value} checked={checked} />
      {label}
    </label>
  );
  return (
    <>
      <Fieldset legend="Message type" errors={errors} name="type">
        {MESSAGE_TYPES.filter((t) => user.rights.messageTypes.includes(t)).map((t) =>
          radio("type", t, MESSAGE_TYPE_LABEL[t], s.type === t)
        )}
      </Fieldset>
      <Fieldset legend="Delivery modes" errors={errors} name="modes">
        {MODES.filter((m) => user.rights.modes.includes(m)).map((m) => (
          <label key={m} class="check">
            <input type="checkbox" name="modes" value={m} checked={s.modes.includes(m)} />
            {MODE_LABEL[m]}
          </label>
        ))}
      </Fieldset>
      <Fieldset legend={`When (${timeZone})`} errors={errors} name="when">
        {radio("when", "now", "Send Now", s.when === "now")}
        {radio("when", "later", "Send at a date and time", s.when === "later")}
        <div class="row">
          <label>
            {s.repeat === "none" ? "Date" : "Start date"}
            <input
              type="date"
              name="date"
              value={s.date}
              aria-invalid={errors.date ? "true" : undefined}
              aria-describedby={errors.date ? "date-error" : undefined}
            />
          </label>
          <FieldError errors={errors} name="date" />
          <label>
            Time
            <input
              type="time"
              name="time"
              value={s.time}
              aria-invalid={errors.time ? "true" : undefined}
              aria-describedby={errors.time ? "time-error" : undefined}
            />
          </label>
          <FieldError errors={errors} name="time" />
        </div>
        <details open={MODES.some((m) => s[`time_${m}`])}>
          <summary>A different time for a delivery mode</summary>
          <div class="row">
            {MODES.filter((m) => user.rights.modes.includes(m)).map((m) => (
              <label key={m}>
                {MODE_LABEL[m]}
                <input type="time" name={`time_${m}`} value={s[`time_${m}`]} />
                <FieldError errors={errors} name={`time_${m}`} />
              </label>
            ))}
          </div>
        </details>
      </Fieldset>
      <Fieldset legend="Recurrence Pattern" errors={errors} name="repeat">
        {radio("repeat", "none", "Does not repeat", s.repeat === "none")}
        {radio("repeat", "daily", "Daily", s.repeat === "daily")}
        {radio("repeat", "weekly", "Weekly", s.repeat === "weekly")}
        {radio("repeat", "monthly", "Monthly", s.repeat === "monthly")}
        <label>
          Every how many days / weeks / months
          <input name="interval" value={s.interval || "1"} inputMode="numeric" size={3} />
        </label>
        <FieldError errors={errors} name="interval" />
        <Fieldset legend="Weekly on" errors={errors} name="weekdays">
          {WEEKDAYS.map((d) => (
            <label key={d} class="check">
              <input type="checkbox" name="weekdays" value={d} checked={s.weekdays.includes(d)} />
              {WEEKDAY_LABEL[d]}
            </label>
          ))}
        </Fieldset>
        <Fieldset legend="Monthly on" errors={errors} name="monthDay">
          {radio("monthlyBy", "day", "Day of the month", s.monthlyBy === "day")}
          <label>
            Day (1–31 or "last")
            <input name="monthDay" value={s.monthDay} size={4} />
          </label>
          {radio("monthlyBy", "weekday", "A weekday of the month", s.monthlyBy === "weekday")}
          <div class="row">
            <label>
              Which
              <select name="nth">
                {[["1", "First"], ["2", "Second"], ["3", "Third"], ["4", "Fourth"], ["-1", "Last"]].map(([v, l]) => (
                  <option key={v} value={v} selected={s.nth === v}>{l}</option>
                ))}
              </select>
            </label>
            <FieldError errors={errors} name="nth" />
            <label>
              Day
              <select name="nthWeekday">
                {WEEKDAYS.map((d) => <option key={d} value={d} selected={s.nthWeekday === d}>{WEEKDAY_LABEL[d]}
                </option>)}
              </select>
            </label>
            <FieldError errors={errors} name="nthWeekday" />
          </div>
        </Fieldset>
        <Fieldset legend="Ends" errors={errors} name="ends">
          {radio("ends", "date", "On a date (empty: the calendar's last day)", s.ends === "date")}
          <input type="date" name="endDate" value={s.endDate} aria-label="End date" />
          <FieldError errors={errors} name="endDate" />
          {radio("ends", "count", "After a number of occurrences", s.ends === "count")}
          <input name="count" value={s.count} inputMode="numeric" size={4} aria-label="Number of occurrences" />
          <FieldError errors={errors} name="count" />
        </Fieldset>
        <label>
          Skip these dates (YYYY-MM-DD, one per line)
          <textarea name="skipDates" rows={3}>{s.skipDates}</textarea>
        </label>
        <FieldError errors={errors} name="skipDates" />
        <label class="check">
          <input type="checkbox" name="skipNoSchoolDays" checked={s.skipNoSchoolDays} />
          Skip the calendar's no-school days
        </label>
      </Fieldset>
      {upcoming && upcoming.length > 0 && (
        <section aria-labelledby="next-h">
          <h2 id="next-h">Next deliveries</h2>
          {patternText && <p>{patternText}</p>}
          <ol class="occurrences">
            {upcoming.map((o) => (
              <li key={o.date} class={o.skipped ? "skipped" : undefined}>
                {formatInstant(o.at, timeZone)}
                {o.skipped === "skip date" && " (skipped)"}
                {o.skipped === "no school" && ` (skipped: no school, ${o.skipReason})`}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

export function Wizard(props: WizardProps) {
  const { draft, step, csrf, errors } = props;
  const index = STEPS.indexOf(step);
  const editing = Boolean(draft.base);
  return (
    <section class="wizard">
      <p>
        <a href={editing ? `/messages/${draft.messageId}` : "/messages"}>
          {editing ? "← View Details" : "← Upcoming Messages"}
        </a>
      </p>
      <h1>{editing ? `Edit Message: ${draft.content.subject}` : "New Message"}</h1>
      {editing && (
        <p class="actions">
          <a class="button danger" href={`/messages/${draft.messageId}/cancel`}>
            {draft.recurringAtStart ? "Cancel Series" : "Cancel Message"}
          </a>
        </p>
      )}
      {Object.keys(errors).length > 0 && (
        <div class="error-summary" role="alert">
          <p>Please fix the following:</p>
          <ul>
            {Object.entries(errors).map(([k, v]) => <li key={k}>{v}</li>)}
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
        {step === "send" && <SendStep {...props} />}
        <div class="wizard-nav">
          {index > 0 && <button type="submit" name="go" value={STEPS[index - 1]} class="secondary">Back</button>}
          {index < STEPS.length - 1 && <button type="submit" name="go" value={STEPS[index + 1]}>Next</button>}
          {step === "send" && <button type="submit" name="go" value="commit">{editing ? "Update" : "Send"}</button>}
        </div>
      </form>
    </section>
  );
}
