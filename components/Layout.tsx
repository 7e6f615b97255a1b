import type { ComponentChildren } from "preact";
import type { District, User } from "../services/model.ts";
import { staticHref } from "../routes/static.ts";
import { maySeeContacts } from "../services/bad_contacts.ts";

export interface PageProps {
  title: string;
  user: User | null;
  district: District;
  csrf: string;
  children: ComponentChildren;
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function Layout({ title, user, district, csrf, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Messenger`}</title>
        {/* The CSP allows no inline style, so htmx must not inject its own. */}
        <meta name="htmx-config" content='{"includeIndicatorStyles":false}' />
        <link rel="icon" href={staticHref("favicon.svg")} type="image/svg+xml" />
        <link rel="stylesheet" href={staticHref("app.css")} />
        <script src={staticHref("build/client.js")} defer></script>
      </head>
      <body hx-headers={JSON.stringify({ "X-CSRF-Token": csrf })}>
        <a class="skip" href="#main">Skip to content</a>
        {
          /* Two rows at every width: who and where on top, the sections below, so that the
            sections wrap on a phone and Sign out never sits among them. */
        }
        <header class="top">
          <div class="masthead">
            <a class="brand" href="/messages">Messenger</a>
            <span class="district">{district.name}</span>
            {user && (
              <div class="account">
                <span class="who">{user.name}</span>
                <form method="post" action="/signout" class="inline">
                  <CsrfField token={csrf} />
                  <button type="submit" class="link">Sign out</button>
                </form>
              </div>
            )}
          </div>
          {user && (
            <nav class="sections" aria-label="Main">
              <a href="/messages">Upcoming Messages</a>
              <a href="/sent">Sent Message Log</a>
              {user.rights.admin && <a href="/outbox">Outbox</a>}
              {user.rights.admin && <a href="/admin/users">Users</a>}
              {user.rights.admin && <a href="/admin/people">People</a>}
              {maySeeContacts(user) && <a href="/admin/contacts">Contacts</a>}
              {user.rights.admin && <a href="/admin/roster">Roster</a>}
              {user.rights.admin && <a href="/admin/settings">Settings</a>}
            </nav>
          )}
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  );
}

/**
 * A page for families, who have no account: the district's name, no staff
 * navigation, no script (its forms are plain HTML), kept out of search engines.
 */
export function PublicLayout({ title, district, children }: Omit<PageProps, "user" | "csrf">) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${title} · ${district.name}`}</title>
        <link rel="icon" href={staticHref("favicon.svg")} type="image/svg+xml" />
        <link rel="stylesheet" href={staticHref("app.css")} />
      </head>
      <body>
        <header class="top">
          <div class="masthead">
            <span class="brand">{district.name}</span>
          </div>
        </header>
        <main id="main" class="public">{children}</main>
      </body>
    </html>
  );
}
