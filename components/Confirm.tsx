import type { ComponentChildren } from "preact";
import { CsrfField } from "./Layout.tsx";

/** A question, a Confirm button that posts `confirm=yes` to `action`, and a way back that changes nothing. */
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
      <form method="post" action={action} class="inline">
        <CsrfField token={csrf} />
        <button type="submit" name="confirm" value="yes" class="danger">Confirm</button>
      </form>{" "}
      <a href={back}>{backLabel}</a>
    </section>
  );
}
