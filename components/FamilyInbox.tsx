/**
 * The family's Messages (their portal inbox) and one message, with the
 * family's own navigation. Plain links and one form: readable with
 * JavaScript off.
 */
import { MESSAGE_TYPE_LABEL } from "../services/model.ts";
import type { FamilyInbox } from "../services/family_inbox.ts";
import type { InboxEntry, InboxItem } from "../services/store/inbox.ts";
import { formatInstant } from "../services/time.ts";
import { CsrfField } from "./Layout.tsx";

/** Where a message of the inbox opens; delivery ids hold the roster's own ids, so each part is encoded. */
export function familyMessageHref(item: Pick<InboxItem, "runId" | "deliveryId">): string {
  return `/family/messages/${encodeURIComponent(item.runId)}/${encodeURIComponent(item.deliveryId)}`;
}

/** Messages, Preferences and Sign out, on every family page. */
export function FamilyNav({ preferencesHref, csrf }: { preferencesHref: string; csrf: string }) {
  return (
    <nav aria-label="Family" class="bar family-nav">
      <a href="/family/messages">Messages</a>
      <a href={preferencesHref}>Contact preferences</a>
      <form method="post" action="/family/signout" class="inline">
        <CsrfField token={csrf} />
        <button type="submit" class="link">Sign out</button>
      </form>
    </nav>
  );
}

function TypeMark({ entry }: { entry: InboxEntry }) {
  return entry.type === "general"
    ? null
    : <span class={`type type-${entry.type}`}>{MESSAGE_TYPE_LABEL[entry.type]}</span>;
}

function Row({ item, timeZone }: { item: InboxItem; timeZone: string }) {
  const { entry } = item;
  const unread = entry.readAt === undefined;
  return (
    <li class="entry">
      <div class="entry-main">
        <a href={familyMessageHref(item)}>{unread ? <strong>{entry.subject}</strong> : entry.subject}</a>
        <span class="marks">
          {unread && <span class="type">Unread</span>}
          <TypeMark entry={entry} />
          {entry.school && <span>{entry.school}</span>}
        </span>
      </div>
      <div class="entry-meta">{formatInstant(entry.at, timeZone)}</div>
    </li>
  );
}

export function FamilyMessagesPage(
  { name, inbox, timeZone, nav }: { name: string; inbox: FamilyInbox; timeZone: string; nav: preact.JSX.Element },
) {
  const empty = inbox.pinned.length === 0 && inbox.messages.length === 0;
  return (
    <section>
      {nav}
      <h1>{`Messages for ${name}`}</h1>
      <p role="status">{inbox.unread === 1 ? "1 unread message" : `${inbox.unread} unread messages`}</p>
      {empty && <p class="empty">No messages from the school yet.</p>}
      {inbox.pinned.length > 0 && (
        <>
          <h2>Emergency</h2>
          <ul class="entries">{inbox.pinned.map((i) => <Row key={i.deliveryId} item={i} timeZone={timeZone} />)}</ul>
        </>
      )}
      {inbox.messages.length > 0 && (
        <>
          {inbox.pinned.length > 0 && <h2>All messages</h2>}
          <ul class="entries">{inbox.messages.map((i) => <Row key={i.deliveryId} item={i} timeZone={timeZone} />)}</ul>
        </>
      )}
    </section>
  );
}

export function FamilyMessagePage(
  { item, timeZone, nav }: { item: InboxItem; timeZone: string; nav: preact.JSX.Element },
) {
  const { entry } = item;
  return (
    <article>
      {nav}
      <h1>{entry.subject}</h1>
      <p class="marks">
        <TypeMark entry={entry} />
      </p>
      <dl class="facts">
        {entry.school && (
          <>
            <dt>School</dt>
            <dd>{entry.school}</dd>
          </>
        )}
        {entry.sender && (
          <>
            <dt>From</dt>
            <dd>{entry.sender}</dd>
          </>
        )}
        <dt>Sent</dt>
        <dd>{formatInstant(entry.at, timeZone)}</dd>
      </dl>
      {/* Plain text, escaped by Preact; pre-wrap keeps its line breaks. */}
      <div class="content family-body">{entry.body}</div>
      {entry.attachments.length > 0 && (
        <>
          <h2>Attachments</h2>
          <ul>
            {entry.attachments.map((a) => (
              <li key={a.id}>
                <a href={`${familyMessageHref(item)}/attachments/${encodeURIComponent(a.id)}`}>{a.name}</a>
                {` (${Math.max(1, Math.round(a.size / 1024))} KB)`}
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        <a href="/family/messages">Back to Messages</a>
      </p>
    </article>
  );
}
