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
import { fileSize } from "./file_size.ts";

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

export interface InboxFilter {
  /** The guardian's students, for the filter (shown from two students up). */
  students: { id: string; name: string }[];
  /** The student chosen, as typed when refused. */
  student?: string;
  error?: string;
}

/** Where a page of the inbox is: the filter kept, page 1 left out. */
export function familyInboxHref(student: string | undefined, page: number): string {
  const q = new URLSearchParams();
  if (student) q.set("student", student);
  if (page > 1) q.set("page", String(page));
  const query = q.toString();
  return query ? `/family/messages?${query}` : "/family/messages";
}

function StudentFilter({ filter }: { filter: InboxFilter }) {
  return (
    <form method="get" action="/family/messages" class="filters">
      <label>
        Student
        <select name="student" aria-describedby={filter.error ? "student-error" : undefined}>
          <option value="">All students</option>
          {filter.students.map((s) => (
            <option key={s.id} value={s.id} selected={s.id === filter.student}>{s.name}</option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">Show</button>
      {filter.error && <p class="error" role="alert" id="student-error">{filter.error}</p>}
    </form>
  );
}

export function FamilyMessagesPage(
  { name, inbox, filter, timeZone, nav }: {
    name: string;
    inbox: FamilyInbox;
    filter: InboxFilter;
    timeZone: string;
    nav: preact.JSX.Element;
  },
) {
  const empty = inbox.pinned.length === 0 && inbox.messages.length === 0;
  const student = filter.error ? undefined : filter.student;
  return (
    <section>
      {nav}
      <h1>{`Messages for ${name}`}</h1>
      <p role="status">{inbox.unread === 1 ? "1 unread message" : `${inbox.unread} unread messages`}</p>
      {(filter.students.length > 1 || filter.error) && <StudentFilter filter={filter} />}
      {empty && <p class="empty">{student ? "No messages about this student." : "No messages from the school yet."}</p>}
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
      {inbox.pages > 1 && (
        <nav class="pager" aria-label="Pages">
          {inbox.page > 1 && <a href={familyInboxHref(student, inbox.page - 1)} rel="prev">Newer messages</a>}
          <span>{`Page ${inbox.page} of ${inbox.pages}`}</span>
          {inbox.page < inbox.pages && <a href={familyInboxHref(student, inbox.page + 1)} rel="next">Older messages</a>}
        </nav>
      )}
    </section>
  );
}

export function FamilyMessagePage(
  {
    item,
    timeZone,
    nav,
    preview,
    attachmentHref = (a) => `${familyMessageHref(item)}/attachments/${encodeURIComponent(a)}`,
  }: {
    item: InboxItem;
    timeZone: string;
    nav: preact.JSX.Element;
    /** Staff's preview links the staff download instead of the family's. */
    attachmentHref?: (attachmentId: string) => string;
    /** Staff's preview: no way back to a family's Messages. */
    preview?: boolean;
  },
) {
  const { entry } = item;
  return (
    <article>
      {nav}
      <h1>{entry.subject}</h1>
      {entry.type !== "general" && (
        <p class="marks">
          <TypeMark entry={entry} />
        </p>
      )}
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
                <a href={attachmentHref(a.id)}>{a.name}</a>
                {` (${fileSize(a.size)})`}
              </li>
            ))}
          </ul>
        </>
      )}
      {!preview && (
        <p>
          <a href="/family/messages">Back to Messages</a>
        </p>
      )}
    </article>
  );
}

/**
 * Above staff's preview of the portal: whose view it is and the way back,
 * in place of the family's navigation.
 */
export function FamilyViewNote({ name, inLanguage, back }: { name: string; inLanguage: string; back: string }) {
  return (
    <p class="notice" role="note">
      {`Preview: this is how ${name} sees the message in the family portal${inLanguage ? `, ${inLanguage}` : ""}. `}
      <a href={back}>Back to View Details</a>
    </p>
  );
}
