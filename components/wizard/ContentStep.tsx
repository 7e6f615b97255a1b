/** Step 2, Content: subject, the message for each delivery mode, merge fields and their sample, attachments. */
import { formatBytes, MAX_ATTACHMENT_BYTES } from "../../services/attachments.ts";
import { CONTENT_MAX } from "../../services/compose/forms.ts";
import { MERGE_FIELDS } from "../../services/merge.ts";
import { staffLanguageName } from "../../services/translate/recipient_language.ts";
import { Island } from "../Island.tsx";
import { FieldError, Fieldset } from "./fields.tsx";
import { Languages } from "./Languages.tsx";
import type { WizardProps } from "./props.ts";

const PREVIEW_LABEL: Record<string, string> = {
  subject: "Subject",
  emailText: "Email",
  text: "Text",
  voice: "Voice",
  inbox: "Inbox",
};

export function ContentStep(props: WizardProps) {
  const { draft, errors, mergeSample, languages } = props;
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
      {languages && languages.offered.length > 0 && (
        <p class="hint">
          {`Write the message in ${
            staffLanguageName(languages.original)
          }. Each language ticked under Languages, below, gets its own version.`}
        </p>
      )}
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
      <div class="field">
        <label id="emailHtml-label" for="emailHtml">Email</label>
        <Island
          name="EmailEditor"
          props={{
            name: "emailHtml",
            value: c.emailHtml,
            maxLength: CONTENT_MAX.emailHtml,
            invalid: Boolean(errors.emailHtml),
            describedBy: described("emailHtml"),
          }}
        />
        <FieldError errors={errors} name="emailHtml" />
      </div>
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
          <h2 id="merge-preview-h">
            {`Preview for ${mergeSample.name}${mergeSample.inLanguage ? `, ${mergeSample.inLanguage}` : ""}`}
          </h2>
          <dl class="facts">
            {Object.entries(mergeSample.rendered).map(([field, r]) => (
              <>
                <dt key={`${field}-t`}>{PREVIEW_LABEL[field]}</dt>
                {r.note
                  ? (
                    <dd key={`${field}-d`}>
                      <p class="hint">{`${r.note[0].toUpperCase()}${r.note.slice(1)}.`}</p>
                      <div class="content" lang={r.language}>{r.text}</div>
                    </dd>
                  )
                  : <dd key={`${field}-d`} class="content" lang={r.language}>{r.text}</dd>}
              </>
            ))}
          </dl>
          <p class="hint">This shows the text as last saved: press Preview to see your latest changes.</p>
        </section>
      )}
      {/* Back where the preview is, not at the top of the page. */}
      <button
        type="submit"
        name="go"
        value="preview"
        class="secondary"
        formAction={`/compose/${draft.id}/content#merge-preview-h`}
      >
        Preview
      </button>
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
      <Languages {...props} />
    </>
  );
}
