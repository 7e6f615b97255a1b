import type { ComponentChildren, JSX } from "preact";
import type { District, MessageSummary, Mode, Run, User } from "../services/model.ts";
import { MODE_LABEL } from "../services/model.ts";
import { MAX_SCAN, type Page } from "../services/store/kv.ts";
import type { UpcomingQuery } from "../services/upcoming.ts";
import { formatClock, formatInstant } from "../services/time.ts";
import { Refreshing, ReloadWithoutScript } from "./Refresh.tsx";
import { CsrfField } from "./Layout.tsx";
import { CreatedBy } from "./CreatedBy.tsx";
import { href } from "./href.ts";
import { CountsLine, MessageMarks, StatusLabel } from "./Labels.tsx";

export interface UpcomingProps {
  user: User;
  district: District;
  query: UpcomingQuery;
  scope: "mine" | "all";
  calendars: { id: string; name: string }[];
  scheduled?: Page<MessageSummary>;
  inProgress?: Page<Run>;
  now: number;
  errors?: Record<string, string>;
  refreshMs: number;
  csrf: string;
  /** A one-line confirmation after Send, Update or Cancel. */
  done?: string;
}

const FILTER_FIELDS = new Set(["createdBy", "subject", "calendar"]);
const ERROR_LABEL: Record<string, string> = { tab: "Tab", scope: "Messages", cursor: "Page", form: "Error" };

export function upcomingHref(query: Partial<UpcomingQuery>): string {
  return href("/messages", query);
}

function DeliveryTimes(
  { m, district }: { m: MessageSummary; district: District },
) {
  if (m.nextAt === null) return <span>No deliveries left</span>;
  const distinct = new Set(Object.values(m.times));
  return (
    <span class="when">
      <time datetime={new Date(m.nextAt).toISOString()}>
        {formatInstant(m.nextAt, district.timeZone)}
      </time>
      {distinct.size > 1 && (
        <span class="per-mode">
          {(Object.entries(m.times) as [Mode, string][]).map(([mode, t]) => (
            <span key={mode}>{`${MODE_LABEL[mode]} ${formatClock(t)}`}</span>
          ))}
        </span>
      )}
      {m.pattern && <span class="pattern">{m.pattern}</span>}
    </span>
  );
}

function People({ m }: { m: MessageSummary }) {
  return (
    <dl class="people">
      <CreatedBy created={m.created} modified={m.modified} />
    </dl>
  );
}

/** One message: what it is on the left (with `progress` under it), when and who on the right (`children`). */
function Entry(
  { m, children, href, progress }: {
    m: MessageSummary;
    href: string;
    children?: ComponentChildren;
    progress?: ComponentChildren;
  },
) {
  return (
    <li class="entry">
      <div class="entry-main">
        <h3 class="subject">{m.subject}</h3>
        <MessageMarks type={m.type} recurring={m.recurring} attachments={m.hasAttachment} modes={m.modes} />
        {progress}
      </div>
      <div class="entry-meta">
        {children}
        <a class="button" href={href} aria-label={`View Details: ${m.subject}`}>
          View Details
        </a>
      </div>
    </li>
  );
}

export function ScheduledList(
  { page, district }: { page: Page<MessageSummary>; district: District },
) {
  if (page.items.length === 0) {
    return <p class="empty">No scheduled messages match.</p>;
  }
  return (
    <ul class="entries">
      {page.items.map((m) => (
        <Entry key={m.id} m={m} href={`/messages/${m.id}`}>
          <DeliveryTimes m={m} district={district} />
          <People m={m} />
        </Entry>
      ))}
    </ul>
  );
}

export function InProgressList(
  { page, district }: { page: Page<Run>; district: District },
) {
  if (page.items.length === 0) {
    return <p class="empty">No messages in progress match.</p>;
  }
  return (
    <ul class="entries">
      {page.items.map((r) => (
        <Entry
          key={r.id}
          m={r.message}
          href={`/runs/${r.id}`}
          progress={
            // Counts grow long (four modes, six results): under the subject they wrap, and the right-hand block
            // keeps its place.


              <p class="progress">
                <StatusLabel status={r.status} /> <CountsLine counts={r.counts} />
              </p>

          }
        >
          <span class="when">
            Started{" "}
            <time datetime={new Date(r.startedAt).toISOString()}>
              {formatInstant(r.startedAt, district.timeZone)}
            </time>
          </span>
          <People m={r.message} />
        </Entry>
      ))}
    </ul>
  );
}

export function UpcomingListBody(props: UpcomingProps) {
  const { query, district } = props;
  const page = props.scheduled ?? props.inProgress!;
  return (
    <div id="upcoming-list" aria-live="polite">
      {/* Names the list between the page's h1 and each entry's h3. */}
      <h2 class="visually-hidden">{props.scheduled ? "Scheduled messages" : "Messages in progress"}</h2>
      {props.scheduled
        ? <ScheduledList page={props.scheduled} district={district} />
        : <InProgressList page={props.inProgress!} district={district} />}
      {page.partial && (
        <p class="notice">
          {`Searched ${MAX_SCAN.toLocaleString("en-US")} messages; there may be more matches further on.`}
        </p>
      )}
      <nav class="pager" aria-label="Pages">
        {query.cursor && <a href={upcomingHref({ ...query, cursor: "" })}>First page</a>}
        {page.next && (
          <a href={upcomingHref({ ...query, cursor: page.next })} rel="next">
            {page.partial ? "Keep searching" : "Next page"}
          </a>
        )}
      </nav>
    </div>
  );
}

/** A tab or scope: a plain link without JS, swapped in by htmx with it. */
function ListLink({ to, children, ...attrs }: JSX.HTMLAttributes<HTMLAnchorElement> & { to: string }) {
  return (
    <a {...attrs} href={to} hx-get={to}>
      {children}
    </a>
  );
}

/** The whole page; htmx swaps only `Upcoming`, so the reload for browsers without JavaScript stays out of its way. */
export function UpcomingPage(props: UpcomingProps) {
  return (
    <>
      <ReloadWithoutScript intervalMs={props.refreshMs} />
      <Upcoming {...props} />
    </>
  );
}

export function Upcoming(props: UpcomingProps) {
  const { query, scope, user, errors = {} } = props;
  const tabs = [["scheduled", "Scheduled"], [
    "in-progress",
    "In Progress",
  ]] as const;
  const scopes = [
    ["mine", "My Messages"],
    ...(user.rights.viewEditAll ? [["all", "All Messages"] as const] : []),
  ] as const;
  const field = (name: keyof UpcomingQuery) =>
    errors[name] && <span class="error" id={`${name}-error`}>{errors[name]}</span>;
  return (
    <section
      id="upcoming"
      hx-target="#upcoming"
      hx-select="#upcoming"
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-sync="this:replace"
    >
      <div class="bar">
        <h1>Upcoming Messages</h1>
        <form method="post" action="/messages/new" class="inline" hx-boost="false">
          <CsrfField token={props.csrf} />
          <button type="submit">New Message</button>
        </form>
        <Refreshing targets={["upcoming-list"]} intervalMs={props.refreshMs} timeZone={props.district.timeZone} />
      </div>
      {props.done && <p class="notice done" role="status">{props.done}</p>}
      <nav class="tabs" id="upcoming-tabs" aria-label="Tabs" role="tablist">
        {tabs.map(([value, label]) => (
          <ListLink
            key={value}
            role="tab"
            aria-selected={query.tab === value ? "true" : "false"}
            to={upcomingHref({ ...query, tab: value, cursor: "" })}
          >
            {label}
          </ListLink>
        ))}
      </nav>
      <nav class="scopes" id="upcoming-scopes" aria-label="Whose messages">
        {scopes.map(([value, label]) => (
          <ListLink
            key={value}
            aria-current={scope === value ? "page" : undefined}
            to={upcomingHref({ ...query, scope: value, cursor: "" })}
          >
            {label}
          </ListLink>
        ))}
      </nav>
      <form
        class="filters"
        method="get"
        action="/messages"
        role="search"
        hx-get="/messages"
        hx-trigger="submit, input delay:500ms"
        hx-target="#upcoming-list"
        hx-select="#upcoming-list"
        hx-select-oob="#upcoming-tabs,#upcoming-scopes,#filter-clear"
      >
        <input type="hidden" name="tab" value={query.tab} />
        <input type="hidden" name="scope" value={scope} />
        {([["createdBy", "Created By", 100], ["subject", "Subject", 200]] as const).map(([name, label, maxLength]) => (
          <label>
            {label}
            <input
              type="search"
              id={`filter-${name}`}
              name={name}
              value={query[name]}
              maxLength={maxLength}
              aria-invalid={errors[name] ? "true" : undefined}
            />
            {field(name)}
          </label>
        ))}
        <label>
          Calendar
          <select
            id="filter-calendar"
            name="calendar"
            aria-invalid={errors.calendar ? "true" : undefined}
          >
            <option value="">All calendars</option>
            {props.calendars.map((c) => (
              <option
                key={c.id}
                value={c.id}
                selected={c.id === query.calendar}
              >
                {c.name}
              </option>
            ))}
          </select>
          {field("calendar")}
        </label>
        <button type="submit">Filter</button>
        <span id="filter-clear">
          {(query.createdBy || query.subject || query.calendar) && (
            <a href={upcomingHref({ tab: query.tab, scope })}>Clear filters</a>
          )}
        </span>
      </form>
      {Object.entries(errors).filter(([k]) => !FILTER_FIELDS.has(k)).map(([k, message]) => (
        <p key={k} class="error" role="alert">{`${ERROR_LABEL[k] ?? k}: ${message}`}</p>
      ))}
      <UpcomingListBody {...props} />
    </section>
  );
}
