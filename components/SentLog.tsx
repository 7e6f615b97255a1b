/** The Sent Message Log: finished runs with their counts, filtered and paged, each linking its details. */
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, type Run } from "../services/model.ts";
import type { SentQuery } from "../services/sent.ts";
import type { Page } from "../services/store/kv.ts";
import type { RunFacts } from "../services/store/deliveries.ts";
import { formatInstant } from "../services/time.ts";
import { href } from "./href.ts";
import { CountsLine, MessageMarks, StatusLabel } from "./Labels.tsx";

export interface SentLogProps {
  result: Page<Run>;
  /** Run id → its inbox reads and email opens and bounces (runs with an inbox or email mode only). */
  facts: Record<string, RunFacts>;
  /** The query as parsed, or as typed when it was refused. */
  query: SentQuery;
  scope: "mine" | "all";
  mayViewAll: boolean;
  calendars: { id: string; name: string }[];
  errors: Record<string, string>;
  timeZone: string;
}

/** A run canceled while sending did not finish sending: its time is when it was canceled. */
function finishedVerb(r: Run): string {
  return r.status === "canceled" ? "Canceled" : "Sent";
}

export function SentLog(
  { result, facts, query: q, scope, mayViewAll, calendars, errors, timeZone }: SentLogProps,
) {
  const input = (name: keyof SentQuery, label: string, type = "text") => (
    <label>
      {label}
      <input type={type} name={name} value={String(q[name] ?? "")} aria-invalid={errors[name] ? "true" : undefined} />
      {errors[name] && <span class="error">{errors[name]}</span>}
    </label>
  );
  return (
    <section>
      <h1>Sent Message Log</h1>
      <p class="hint">Messages that finished sending, and those canceled while sending, with who received them.</p>
      <nav class="scopes" aria-label="Whose messages">
        <a
          href={href("/sent", { ...q, scope: "mine", cursor: "" })}
          aria-current={scope === "mine" ? "page" : undefined}
        >
          My Messages
        </a>
        {mayViewAll && (
          <a
            href={href("/sent", { ...q, scope: "all", cursor: "" })}
            aria-current={scope === "all" ? "page" : undefined}
          >
            All Messages
          </a>
        )}
      </nav>
      <form class="filters" method="get" action="/sent" role="search">
        <input type="hidden" name="scope" value={scope} />
        {input("messageId", "Message ID")}
        {input("from", "Sent from", "date")}
        {input("to", "Sent to", "date")}
        <label>
          Calendar
          <select name="calendar">
            <option value="">All calendars</option>
            {calendars.map((cal) => (
              <option key={cal.id} value={cal.id} selected={cal.id === q.calendar}>{cal.name}</option>
            ))}
          </select>
        </label>
        {input("subject", "Subject", "search")}
        <label>
          Message Type
          <select name="type" aria-invalid={errors.type ? "true" : undefined}>
            <option value="">Any type</option>
            {MESSAGE_TYPES.map((t) => <option key={t} value={t} selected={q.type === t}>{MESSAGE_TYPE_LABEL[t]}
            </option>)}
          </select>
          {errors.type && <span class="error">{errors.type}</span>}
        </label>
        <button type="submit">Filter</button>
      </form>
      {errors.cursor && <p class="error" role="alert">{errors.cursor}</p>}
      {/* Names the list between the page's h1 and each entry's h3. */}
      <h2 class="visually-hidden">Sent messages</h2>
      {result.items.length === 0 ? <p class="empty">No sent messages match.</p> : (
        <ul class="entries">
          {result.items.map((r) => (
            <li class="entry" key={r.id}>
              <div class="entry-main">
                <h3 class="subject">{r.message.subject}</h3>
                <MessageMarks
                  type={r.message.type}
                  recurring={r.message.recurring}
                  attachments={false}
                  modes={r.message.modes}
                />
                <CountsLine counts={r.counts} excluded={r.excluded} facts={facts[r.id]} />
                {r.message.recurring && (
                  <a href={`/messages/${r.messageId}`}>{`An occurrence of the series (${r.occurrenceDate})`}</a>
                )}
              </div>
              <div class="entry-meta">
                <span>{`${finishedVerb(r)} ${formatInstant(r.transitions.at(-1)?.at ?? r.startedAt, timeZone)}`}</span>
                <span>{`Created By ${r.message.created.name}`}</span>
                <span>
                  {"Message ID "}
                  <code>{r.id}</code>
                </span>
                <StatusLabel status={r.status} />
                <a class="button" href={`/runs/${r.id}`} aria-label={`View Details: ${r.message.subject}`}>
                  View Details
                </a>
              </div>
            </li>
          ))}
        </ul>
      )}
      {result.next && (
        <nav class="pager">
          <a href={href("/sent", { ...q, cursor: result.next })} rel="next">
            {result.partial ? "Keep searching" : "Next page"}
          </a>
        </nav>
      )}
    </section>
  );
}
