/**
 * The pages behind a General email's unsubscribe link: the question with its
 * button (opening the link changes nothing, so a mail scanner following it
 * unsubscribes nobody), the answer once done, and the one page for a link
 * that does not work.
 */

const STILL = "Priority and emergency messages will still reach this address.";

export function UnsubscribeConfirm({ action, address, sender }: { action: string; address: string; sender: string }) {
  return (
    <section>
      <h1>Unsubscribe from general messages</h1>
      <p>
        Stop emailing general messages from {sender} to <strong>{address}</strong>? {STILL}
      </p>
      <form method="post" action={action}>
        {/* What a mail provider's one-click unsubscribe posts (RFC 8058); the button posts the same. */}
        <input type="hidden" name="List-Unsubscribe" value="One-Click" />
        <button type="submit">Unsubscribe</button>
      </form>
    </section>
  );
}

export function Unsubscribed({ address, sender }: { address: string; sender: string }) {
  return (
    <section>
      <h1>You are unsubscribed</h1>
      <p role="status">
        General messages from {sender} will no longer be emailed to <strong>{address}</strong>. {STILL}
      </p>
      <p>
        Changed your mind? Tick General for this address in your contact preferences:{" "}
        <a href="/family/signin">sign in to your messages</a>{" "}
        and open Contact preferences, or use the preferences link your school sent you, or ask your school office.
      </p>
    </section>
  );
}

export function UnsubscribeLinkBroken() {
  return (
    <section>
      <h1>This unsubscribe link does not work</h1>
      <p>
        Nothing was changed. Check that you opened the whole link from the email, or ask your school office to stop
        general messages to your address.
      </p>
    </section>
  );
}
