/**
 * The family sign-in pages: the address form, the answer that a link or code
 * was sent (the same whether or not the address is known), the code form, the
 * button behind an email's link, and the choice of guardian on a shared
 * address. Every form carries the CSRF token.
 */
import { CsrfField } from "./Layout.tsx";

export function SignInForm({ csrf, address = "", error }: { csrf: string; address?: string; error?: string }) {
  return (
    <section>
      <h1>Sign in to read your messages</h1>
      <p>
        Enter the email address or mobile phone number your school has for you. We will send you a link by email, or a
        code by text.
      </p>
      {error && <p class="error" role="alert" id="address-error">{error}</p>}
      <form method="post" action="/family/signin" class="stack">
        <CsrfField token={csrf} />
        <label>
          Email address or mobile number
          <input
            name="address"
            value={address}
            required
            maxLength={254}
            autocomplete="username"
            aria-describedby={error ? "address-error" : undefined}
          />
        </label>
        <button type="submit">Send</button>
      </form>
    </section>
  );
}

export function LinkSent() {
  return (
    <section>
      <h1>Check your email</h1>
      <p>
        If that address is on the school's records, we have sent a link to it. It works once, for 15 minutes.
      </p>
      <p>
        <a href="/family/signin">Try another address</a>
      </p>
    </section>
  );
}

export function CodeForm(
  { csrf, requestId, code = "", error }: { csrf: string; requestId: string; code?: string; error?: string },
) {
  return (
    <section>
      <h1>Enter your code</h1>
      <p>If that number is on the school's records, we have sent a 6-digit code to it. It works for 15 minutes.</p>
      {error && <p class="error" role="alert" id="code-error">{error}</p>}
      <form method="post" action="/family/signin/code" class="stack">
        <CsrfField token={csrf} />
        <input type="hidden" name="request" value={requestId} />
        <label>
          Code
          <input
            name="code"
            value={code}
            required
            inputMode="numeric"
            autocomplete="one-time-code"
            maxLength={6}
            aria-describedby={error ? "code-error" : undefined}
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
      <p>
        <a href="/family/signin">Ask for a new code</a>
      </p>
    </section>
  );
}

/** Behind an email's link: a button, so a mail scanner opening the link does not use it up. */
export function LinkConfirm({ csrf, action }: { csrf: string; action: string }) {
  return (
    <section>
      <h1>Sign in to read your messages</h1>
      <p>
        Press Sign in to open your messages on this device. The link in your email works once: to sign in on another
        device, ask for a new one there.
      </p>
      <form method="post" action={action} class="stack">
        <CsrfField token={csrf} />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}

export function ChooseGuardian(
  { csrf, choice, people }: { csrf: string; choice: string; people: { id: string; name: string }[] },
) {
  return (
    <section>
      <h1>Who is signing in?</h1>
      <p>More than one person on the school's records has this address.</p>
      <form method="post" action="/family/signin/choose" class="stack">
        <CsrfField token={csrf} />
        <input type="hidden" name="choice" value={choice} />
        <fieldset>
          <legend>Sign in as</legend>
          {people.map((p, i) => (
            <label key={p.id} class="check">
              <input type="radio" name="personId" value={p.id} checked={i === 0} required />
              {p.name}
            </label>
          ))}
        </fieldset>
        <button type="submit">Continue</button>
      </form>
    </section>
  );
}

export function SignInFailed() {
  return (
    <section>
      <h1>This sign-in link or code does not work</h1>
      <p>
        Links and codes work once, for 15 minutes. <a href="/family/signin">Ask for a new one</a>.
      </p>
    </section>
  );
}
