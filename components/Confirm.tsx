import type { ComponentChildren } from "preact";
import { CsrfField } from "./Layout.tsx";

/**
 * A question, a way back that changes nothing, and a Confirm button that posts `confirm=yes` to `action`.
 * The way back is the prominent button and comes first; Confirm names what it does and stands well apart,
 * so a hurried click lands on the safe choice.
 */
export function ConfirmPage(
  { title, action, csrf, back, backLabel, children }: {
    title: string;
    action: string;
    csrf: string;
    back: string;
    backLabel: string;
    children: ComponentChildren;
  },
) {
  return (
    <section class="problem">
      <h1>{title}</h1>
      {children}
      <div class="confirm-actions">
        <a class="button" href={back}>{backLabel}</a>
        <form method="post" action={action} class="confirm-danger">
          <CsrfField token={csrf} />
          <button type="submit" name="confirm" value="yes" class="danger-outline">{`Confirm ${title}`}</button>
        </form>
      </div>
    </section>
  );
}
