/**
 * District settings (/admin/settings): quiet hours for calls and texts, the
 * size of a send that asks for confirmation, each school's caller ID. Plain
 * form; a refused value comes back as typed, its error beside it.
 */
import type { School } from "../services/model.ts";
import { callerIdField, type SettingsValues } from "../services/district_settings.ts";
import { CsrfField } from "./Layout.tsx";

function Field(
  { name, label, hint, v, errors, type = "text", ...input }: {
    name: string;
    label: string;
    hint?: string;
    v: SettingsValues;
    errors: Record<string, string>;
    type?: string;
    inputMode?: "numeric" | "tel";
    maxLength?: number;
    autocomplete?: string;
  },
) {
  const error = errors[name];
  return (
    <label>
      {label}
      <input
        name={name}
        type={type}
        value={v[name] ?? ""}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${name}-error` : undefined}
        {...input}
      />
      {hint && <span class="hint">{hint}</span>}
      {error && <span class="error" id={`${name}-error`}>{`${label}: ${error}`}</span>}
    </label>
  );
}

export function DistrictSettingsPage(
  { values, errors, schools, timeZone, saved, csrf }: {
    values: SettingsValues;
    errors: Record<string, string>;
    schools: School[];
    timeZone: string;
    saved: boolean;
    csrf: string;
  },
) {
  const window = (kind: "dialing" | "text", legend: string, hint: string) => (
    <fieldset>
      <legend>{legend}</legend>
      <p class="hint">{hint}</p>
      <div class="field-row">
        <Field name={`${kind}Start`} label="From" type="time" v={values} errors={errors} />
        <Field name={`${kind}End`} label="Until" type="time" v={values} errors={errors} />
      </div>
    </fieldset>
  );
  return (
    <section>
      <h1>District settings</h1>
      {saved && <p class="notice done" role="status">The settings are saved.</p>}
      {Object.keys(errors).length > 0 && (
        <p class="error" role="alert">Nothing was saved: correct the fields marked below.</p>
      )}
      <form method="post" action="/admin/settings" class="stack wide">
        <CsrfField token={csrf} />
        {window(
          "dialing",
          "Calling hours",
          `General and Priority calls are made only between these times (${timeZone}); in the quiet hours outside them they wait for the next morning. Emergency calls go at once.`,
        )}
        {window(
          "text",
          "Texting hours",
          `General and Priority texts are sent only between these times (${timeZone}); in the quiet hours outside them they wait. Emergency texts go at once.`,
        )}
        <fieldset>
          <legend>Large sends</legend>
          <Field
            name="largeSendThreshold"
            label="Ask for confirmation above"
            hint="recipients: the sender types the count before such a message goes"
            inputMode="numeric"
            maxLength={7}
            v={values}
            errors={errors}
          />
        </fieldset>
        <fieldset>
          <legend>Caller ID</legend>
          <p class="hint">The number each school's calls come from. Empty: the district's number (TWILIO_FROM).</p>
          {schools.map((s) => (
            <Field
              key={s.id}
              name={callerIdField(s.id)}
              label={s.name}
              type="tel"
              autocomplete="off"
              maxLength={30}
              v={values}
              errors={errors}
            />
          ))}
        </fieldset>
        <button type="submit">Save settings</button>
      </form>
    </section>
  );
}
