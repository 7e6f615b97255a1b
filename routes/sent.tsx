/** The Sent list (finished runs with their counts) and, for administrators, the dev outbox. */
import { Hono } from "hono";
import { ColumnHeads, CountsLine, ModeIcons, RecurringIcon, StatusLabel, TypeLabel } from "../components/Labels.tsx";
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, type Run } from "../services/model.ts";
import { listOutbox, type OutboxEntry } from "../services/store/outbox.ts";
import { mayUseCalendar } from "../services/rights.ts";
import { listSent, SentQuery } from "../services/sent.ts";
import { listCalendars } from "../services/store/district.ts";
import { type Page, PageCursor, StaleCursor } from "../services/store/kv.ts";
import { formatInstant } from "../services/time.ts";
import { type AppEnv, currentUser } from "./env.ts";
import { fieldErrors, page, problem } from "./render.tsx";

/** The filters as typed, so a refused query comes back filled in. */
function pick(raw: Record<string, string>): Partial<SentQuery> {
  const out: Record<string, string> = {};
  for (const k of ["messageId", "from", "to", "calendar", "subject"]) if (raw[k]) out[k] = raw[k].slice(0, 200);
  return out;
}

function sentHref(q: Partial<SentQuery>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `/sent?${qs}` : "/sent";
}

export const sentRoutes = new Hono<AppEnv>()
  .get("/sent", async (c) => {
    const user = currentUser(c);
    const { db } = c.var.deps;
    const tz = c.var.district.timeZone;
    const parsed = SentQuery.safeParse(c.req.query());
    const errors = parsed.success ? {} : fieldErrors(parsed.error.issues);
    const raw = c.req.query();
    const q: SentQuery = parsed.success ? parsed.data : { ...SentQuery.parse({}), ...pick(raw) };
    let result: Page<Run> = { items: [] };
    if (parsed.success) {
      try {
        result = await listSent(db, user, q, tz);
      } catch (e) {
        if (!(e instanceof StaleCursor)) throw e;
        errors.cursor = e.message;
      }
    }
    const scope = q.scope === "all" && user.rights.viewEditAll ? "all" : "mine";
    const calendars = (await listCalendars(db)).filter((cal) => mayUseCalendar(user, cal.id));
    const input = (name: keyof SentQuery, label: string, type = "text") => (
      <label>
        {label}
        <input type={type} name={name} value={String(q[name] ?? "")} aria-invalid={errors[name] ? "true" : undefined} />
        {errors[name] && <span class="error">{errors[name]}</span>}
      </label>
    );
    return page(
      c,
      "Sent messages",
      <section>
        <h1>Sent messages</h1>
        <p class="hint">Completed runs, and runs canceled while sending, with who received them.</p>
        <nav class="scopes" aria-label="Whose messages">
          <a href={sentHref({ ...q, scope: "mine", cursor: "" })} aria-current={scope === "mine" ? "page" : undefined}>
            My Messages
          </a>
          {user.rights.viewEditAll && (
            <a href={sentHref({ ...q, scope: "all", cursor: "" })} aria-current={scope === "all" ? "page" : undefined}>
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
              {MESSAGE_TYPES.map((t) => (
                <option key={t} value={t} selected={q.type === t}>{MESSAGE_TYPE_LABEL[t]}</option>
              ))}
            </select>
            {errors.type && <span class="error">{errors.type}</span>}
          </label>
          <button type="submit">Filter</button>
        </form>
        {errors.cursor && <p class="error" role="alert">{errors.cursor}</p>}
        {result.items.length === 0 ? <p class="empty">No sent messages match.</p> : (
          <ul class="entries">
            {result.items.map((r) => (
              <li class="entry" key={r.id}>
                <div class="entry-main">
                  <h3 class="subject">{r.message.subject}</h3>
                  <div class="marks">
                    <TypeLabel type={r.message.type} />
                    {r.message.recurring && <RecurringIcon />}
                    <ModeIcons modes={r.message.modes} />
                  </div>
                  <CountsLine counts={r.counts} excluded={r.excluded} />
                  {r.message.recurring && (
                    <a href={`/messages/${r.messageId}`}>{`An occurrence of the series (${r.occurrenceDate})`}</a>
                  )}
                </div>
                <div class="entry-meta">
                  <span>{`Sent ${formatInstant(r.transitions.at(-1)?.at ?? r.startedAt, tz)}`}</span>
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
            <a href={sentHref({ ...q, cursor: result.next })} rel="next">
              {result.partial ? "Keep searching" : "Next page"}
            </a>
          </nav>
        )}
      </section>,
      { status: Object.keys(errors).length ? 400 : 200 },
    );
  })
  // The Sent Message Log's address for a run's Recipient Report.
  .get("/sent/:runId", (c) => {
    const search = new URL(c.req.url).search;
    return c.redirect(`/runs/${encodeURIComponent(c.req.param("runId"))}/recipients${search}`, 302);
  })
  .get("/outbox", async (c) => {
    if (!currentUser(c).rights.admin) {
      return problem(c, 403, "Outbox", "Only administrators can read the outbox.");
    }
    const parsed = PageCursor.safeParse(c.req.query("cursor"));
    if (!parsed.success) return problem(c, 400, "Outbox", `cursor: ${parsed.error.issues[0].message}`);
    const cursor = parsed.data;
    const names = c.var.deps.providerNames;
    let entries: Page<OutboxEntry>;
    try {
      entries = await listOutbox(c.var.deps.db, cursor || undefined);
    } catch (e) {
      if (!(e instanceof StaleCursor)) throw e;
      return problem(c, 400, "Outbox", `cursor: ${e.message}`);
    }
    const tz = c.var.district.timeZone;
    return page(
      c,
      "Outbox",
      <section>
        <h1>Outbox</h1>
        <p>
          {`With no SMTP or Twilio configured, Messenger records here what it would have sent (kept 7 days). ` +
            `Email: ${names.email}; texts: ${names.sms}; calls: ${names.voice}.`}
        </p>
        {entries.items.length === 0 ? <p class="empty">The outbox is empty.</p> : (
          <table class="counts outbox">
            <ColumnHeads labels={["When", "Kind", "To", "Subject / text"]} />
            <tbody>
              {entries.items.map((e) => (
                <tr key={e.id}>
                  <td>{formatInstant(e.at, tz)}</td>
                  <td>{e.kind}</td>
                  <td>{e.to}</td>
                  <td>
                    {e.subject && <strong>{e.subject}</strong>}
                    <div class="content">{e.body}</div>
                    {e.attachments.length > 0 && <div class="hint">{`Attachments: ${e.attachments.join(", ")}`}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {entries.next && (
          <nav class="pager">
            <a href={`/outbox?cursor=${entries.next}`} rel="next">Older</a>
          </nav>
        )}
      </section>,
    );
  });
