import type { ComponentChildren, VNode } from "preact";
import { render } from "preact-render-to-string";
import { Layout, PublicLayout } from "../components/Layout.tsx";
import { type Ctx, isFragment } from "./env.ts";

/** A full page, or with HX-Request only `fragment` (the same component). */
export function page(
  c: Ctx,
  title: string,
  body: ComponentChildren,
  opts: { status?: number; fragment?: VNode } = {},
): Response {
  c.header("Vary", "HX-Request");
  const status = (opts.status ?? 200) as 200;
  if (opts.fragment && isFragment(c)) {
    return c.html(render(opts.fragment), status);
  }
  const html = render(
    <Layout
      title={title}
      user={c.get("user")}
      district={c.get("district")}
      csrf={c.get("csrf")}
    >
      {body}
    </Layout>,
  );
  return c.html(`<!DOCTYPE html>${html}`, status);
}

/** A page for families (no account): the public layout, never stored by caches. */
export function publicPage(c: Ctx, title: string, body: ComponentChildren, status = 200): Response {
  c.header("Cache-Control", "no-store");
  const html = render(<PublicLayout title={title} district={c.get("district")}>{body}</PublicLayout>);
  return c.html(`<!DOCTYPE html>${html}`, status as 200);
}

/** A family without a session (never opened, ended, signed out): the way back in is sign-in or the school's link. */
export function familySignedOut(c: Ctx, status: 200 | 401, title = "Sign in to read your messages"): Response {
  return publicPage(
    c,
    title,
    <section>
      <h1>{title}</h1>
      <p>
        <a href="/family/signin">Sign in with your email address or phone</a>, or open the contact preferences link your
        school sent you.
      </p>
    </section>,
    status,
  );
}

export function problem(
  c: Ctx,
  status: 400 | 403 | 404 | 409 | 422 | 429 | 501,
  title: string,
  detail: string,
) {
  // A family's error (another family's message, a guessed id) stays in the family's pages.
  if (c.get("family")) {
    return publicPage(
      c,
      title,
      <section class="problem">
        <h1>{title}</h1>
        <p>{detail}</p>
        <p>
          <a href="/family/messages">Back to Messages</a>
        </p>
      </section>,
      status,
    );
  }
  return page(
    c,
    title,
    <section class="problem">
      <h1>{title}</h1>
      <p>{detail}</p>
      <p>
        <a href="/messages">Back to Upcoming Messages</a>
      </p>
    </section>,
    { status },
  );
}

/** zod issues as field → message, for showing errors next to fields. */
export function fieldErrors(
  issues: { path: PropertyKey[]; message: string }[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}
