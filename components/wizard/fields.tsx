/** The wizard's form pieces that show a field's refusal beside it. */
import type { ComponentChildren } from "preact";
import type { Errors } from "../../services/compose/errors.ts";

export function FieldError({ errors, name }: { errors: Errors; name: string }) {
  return errors[name] ? <span class="error" id={`${name}-error`}>{errors[name]}</span> : null;
}

export function Fieldset(
  { legend, children, errors, name, class: className, id }: {
    legend: string;
    children: ComponentChildren;
    errors: Errors;
    name: string;
    class?: string;
    id?: string;
  },
) {
  return (
    <fieldset class={className} id={id} aria-invalid={errors[name] ? "true" : undefined}>
      <legend>{legend}</legend>
      {children}
      <FieldError errors={errors} name={name} />
    </fieldset>
  );
}

/** A labelled input whose refusal is announced with it. */
export function LabeledInput(
  { label, type, name, value, errors }: { label: string; type: string; name: string; value: string; errors: Errors },
) {
  return (
    <>
      <label>
        {label}
        <input
          type={type}
          name={name}
          value={value}
          aria-invalid={errors[name] ? "true" : undefined}
          aria-describedby={errors[name] ? `${name}-error` : undefined}
        />
      </label>
      <FieldError errors={errors} name={name} />
    </>
  );
}

export function Checkbox(
  { name, value, checked, label }: { name: string; value: string; checked?: boolean; label: string },
) {
  return (
    <label class="check">
      <input type="checkbox" name={name} value={value} checked={checked} />
      {label}
    </label>
  );
}
