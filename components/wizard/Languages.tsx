/**
 * The Content step's languages: the recipients' preferred languages with
 * their counts, the boxes that choose which get their own version, and a
 * section per ticked language with its subject and a box for each mode the
 * original has (Translate fills them, staff correct them). A translation
 * made from content that has changed since is marked "may be out of date".
 */
import { CONTENT_LABEL, CONTENT_MAX } from "../../services/compose/forms.ts";
import { fieldName, hasContent } from "../../services/compose/languages.ts";
import { MARK_UP_TO_DATE, TRANSLATE, TRANSLATE_ALL } from "../../services/compose/translate_step.ts";
import type { Translation } from "../../services/model.ts";
import { staffLanguageName } from "../../services/translate/recipient_language.ts";
import { TRANSLATED_FIELDS, type TranslatedField } from "../../services/translate/translate_content.ts";
import { Island } from "../Island.tsx";
import { FieldError, Fieldset } from "./fields.tsx";
import type { WizardProps } from "./props.ts";

const people = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "recipient" : "recipients"}`;

export function Languages({ draft, errors, languages, translation, notice }: WizardProps) {
  if (!languages) return null;
  const { original, counts, offered, ticked, stale } = languages;
  const originalName = staffLanguageName(original);
  const count = (tag: string) => counts.find((c) => c.tag === tag)?.count ?? 0;
  const translatable = translation ? ticked.filter((t) => !translation.unsupported.includes(t)) : [];
  // A language button brings the person back here, to what it did, not to the top of the page.
  const back = `/compose/${draft.id}/content#languages-h`;
  // No recipient reads the district's language by default: it needs no mention.
  const listed = counts.filter((c) => c.tag !== original || c.count > 0);
  // Nothing to choose: one quiet line, not a section, on every message of a district that reads one language.
  if (offered.length === 0) {
    return (
      <p class="hint" id="languages-note">
        {`Languages: every recipient reads ${originalName}, or has no preferred language, so all get this message.`}
      </p>
    );
  }
  return (
    <section class="languages" aria-labelledby="languages-h">
      <h2 id="languages-h">Languages</h2>
      {notice && <p class="notice done" role="status">{notice}</p>}
      <p>
        {`Recipients' preferred languages: ${
          // A name and its count never part at the end of a line, nor a dot from the language before it.
          listed.map((c) => `${staffLanguageName(c.tag)}\u00a0${c.count.toLocaleString("en-US")}`).join(
            "\u00a0· ",
          )}${listed.length < counts.length ? "" : ` (${originalName} counts those with no preference)`}.`}
      </p>
      <Fieldset legend="Send a version in" errors={errors} name="languages">
        {offered.map((tag) => <input key={tag} type="hidden" name="languagesOffered" value={tag} />)}
        <div class="choices">
          {offered.map((tag) => (
            <label key={tag} class="check">
              <input type="checkbox" name="languages" value={tag} checked={ticked.includes(tag)} />
              {`${staffLanguageName(tag)} (${count(tag).toLocaleString("en-US")})`}
            </label>
          ))}
        </div>
        <span class="hint">
          {`A recipient whose language is not ticked, or is ticked but left empty, gets the ${originalName} message.`}
        </span>
      </Fieldset>
      {!translation && (
        <p class="hint" id="no-translation">
          {`No machine translation is set up: type the translations, or the language falls back to ${originalName}.`}
        </p>
      )}
      {translatable.length > 1 && (
        <button type="submit" name="go" value={TRANSLATE_ALL} class="secondary" formAction={back}>
          {`Translate all from ${originalName}`}
        </button>
      )}
      <FieldError errors={errors} name="translate" />
      {ticked.map((tag) => (
        <LanguageSection
          key={tag}
          tag={tag}
          count={count(tag)}
          draft={draft}
          errors={errors}
          originalName={originalName}
          back={back}
          stale={stale.includes(tag)}
          provider={translation?.provider}
          unsupported={translation?.unsupported.includes(tag) ?? false}
        />
      ))}
    </section>
  );
}

function LanguageSection(
  { tag, count, draft, errors, originalName, back, stale, provider, unsupported }: {
    tag: string;
    count: number;
    draft: WizardProps["draft"];
    errors: WizardProps["errors"];
    originalName: string;
    /** Where a language button's page opens. */
    back: string;
    stale: boolean;
    provider?: string;
    unsupported: boolean;
  },
) {
  const name = staffLanguageName(tag);
  const t: Translation | undefined = draft.translations[tag];
  const value = (f: TranslatedField) => t?.[f] ?? "";
  const shows = (f: TranslatedField) => draft.content[f].trim() !== "" || value(f).trim() !== "";
  const id = (f: TranslatedField) => fieldName(tag, f);
  const described = (f: TranslatedField, ...more: string[]) =>
    [errors[id(f)] && `${id(f)}-error`, ...more].filter(Boolean).join(" ") || undefined;
  const label = (f: TranslatedField, text: string = CONTENT_LABEL[f]) => (
    <label for={id(f)} id={`${id(f)}-label`}>
      <span class="visually-hidden">{`${name}: `}</span>
      {text}
    </label>
  );
  const area = (f: "emailText" | "voice" | "inbox", text: string) =>
    shows(f) && (
      <div class="field">
        {label(f, text)}
        <textarea
          id={id(f)}
          name={id(f)}
          rows={4}
          lang={tag}
          dir="auto"
          maxLength={CONTENT_MAX[f]}
          aria-invalid={errors[id(f)] ? "true" : undefined}
          aria-describedby={described(f)}
        >
          {value(f)}
        </textarea>
        <FieldError errors={errors} name={id(f)} />
      </div>
    );
  const fields = (
    <>
      <div class="field">
        {label("subject")}
        <input
          id={id("subject")}
          name={id("subject")}
          value={value("subject")}
          lang={tag}
          dir="auto"
          maxLength={CONTENT_MAX.subject}
          aria-invalid={errors[id("subject")] ? "true" : undefined}
          aria-describedby={described("subject")}
        />
        <FieldError errors={errors} name={id("subject")} />
      </div>
      {shows("emailHtml") && (
        <div class="field">
          {label("emailHtml")}
          <Island
            name="EmailEditor"
            props={{
              name: id("emailHtml"),
              value: value("emailHtml"),
              maxLength: CONTENT_MAX.emailHtml,
              invalid: Boolean(errors[id("emailHtml")]),
              describedBy: described("emailHtml"),
            }}
          />
          <FieldError errors={errors} name={id("emailHtml")} />
        </div>
      )}
      {area("emailText", "Email, plain-text part")}
      {shows("text") && (
        <div class="field">
          {label("text")}
          <textarea
            id={id("text")}
            name={id("text")}
            rows={4}
            lang={tag}
            dir="auto"
            maxLength={CONTENT_MAX.text}
            aria-invalid={errors[id("text")] ? "true" : undefined}
            aria-describedby={described("text", `${id("text")}-count`)}
          >
            {value("text")}
          </textarea>
          <Island name="SegmentCounter" props={{ target: id("text"), initial: value("text") }} />
          <FieldError errors={errors} name={id("text")} />
        </div>
      )}
      {area("voice", "Voice script")}
      {area("inbox", "Inbox message")}
    </>
  );
  // Untranslated yet, and the provider can: Translate is the way on; the boxes wait, folded, for whoever would type.
  const translatable = Boolean(provider) && !unsupported;
  const folded = translatable && !hasContent(t) &&
    !TRANSLATED_FIELDS.some((f) => errors[id(f)]);
  return (
    <section class="language" aria-labelledby={`lang-${tag}-h`}>
      <div class="language-head">
        <h3 id={`lang-${tag}-h`}>
          {name} <span class="hint">{people(count)}</span>
        </h3>
        {translatable && (
          <button type="submit" name="go" value={`${TRANSLATE}${tag}`} class="secondary" formAction={back}>
            {hasContent(t) ? `Translate into ${name} again` : `Translate into ${name}`}
          </button>
        )}
      </div>
      {!hasContent(t)
        ? (
          <p class="hint">
            {unsupported
              ? `${provider} does not translate into ${name}: type it below, or its recipients get ${originalName}.`
              : `Not written yet: until it is, these recipients get the ${originalName} message.`}
          </p>
        )
        : stale
        ? (
          <div class="stale" role="note">
            <p>
              {`May be out of date: the ${originalName} message changed after this ${
                t.machine ? "translation was made" : "was written"
              }. ${translatable ? "Translate it again, or check" : "Check"} it and mark it up to date.`}
            </p>
            <button type="submit" name="go" value={`${MARK_UP_TO_DATE}${tag}`} class="secondary" formAction={back}>
              {`${name} is up to date`}
            </button>
          </div>
        )
        : t.machine && (
          <p class="hint">
            {`Machine translation: read it through, and correct it here if needed.${
              translatable ? " Translating again replaces any corrections." : ""
            }`}
          </p>
        )}
      {folded
        ? (
          <details class="type-it">
            <summary>{`Type the ${name} yourself instead`}</summary>
            <div class="type-it-fields">{fields}</div>
          </details>
        )
        : fields}
    </section>
  );
}
