/**
 * View Details: a scheduled message (its content, recipients, next deliveries and history) and a run (its status on
 * the way Processing → Sending → Sent, Canceling or Failed, live counts per mode, and the way to its Recipient Report).
 */
import type { RunFacts } from "../services/store/deliveries.ts";
import { fileSize } from "./file_size.ts";
import { Fragment } from "preact";
import type { RecipientPreview } from "../services/recipients.ts";
import type { MessageDetails } from "../services/messages.ts";
import { describeWindow, windowOf } from "../services/quiet_hours.ts";
import {
  type District,
  type Message,
  type Mode,
  MODE_LABEL,
  MODES,
  RECIPIENT_TYPE_LABEL,
  type RecipientType,
  type Run,
  RUN_STATUS_LABEL,
} from "../services/model.ts";
import { failedAt, isCancelable, isFinished } from "../services/dispatch/run_status.ts";
import { describeSchedule } from "../services/recurrence.ts";
import { formatClock, formatDate, formatInstant } from "../services/time.ts";
import { CsrfField } from "./Layout.tsx";
import { Island } from "./Island.tsx";
import { Refreshing, ReloadWithoutScript } from "./Refresh.tsx";
import { CreatedBy } from "./CreatedBy.tsx";
import { isStale } from "../services/translate/source_hash.ts";
import { defaultLanguage, staffLanguageName } from "../services/translate/recipient_language.ts";
import { ColumnHeads, MessageMarks, StatusLabel } from "./Labels.tsx";

/** Each mode's copy, in the order the page has always shown them. */
const CONTENT = [["email", "emailText"], ["text", "text"], ["voice", "voice"], ["inbox", "inbox"]] as const;

export function RecipientSummary({ preview }: { preview: RecipientPreview }) {
  return (
    <section aria-labelledby="recipients-h">
      <h2 id="recipients-h">Recipients</h2>
      <p>
        {`${preview.people} ${preview.people === 1 ? "person" : "people"}, ${preview.copies} ${
          preview.copies === 1 ? "copy" : "copies"
        }`}
        {preview.limited > 0 &&
          `; ${preview.limited} extra copies not sent because of the contacts message limit`}
      </p>
      <table class="counts">
        <caption>By recipient type</caption>
        <ColumnHeads labels={["Recipient type", "People"]} />
        <tbody>
          {(Object.entries(preview.byType) as [RecipientType, number][]).map((
            [type, n],
          ) => (
            <tr key={type}>
              <th scope="row">{RECIPIENT_TYPE_LABEL[type]}</th>
              <td>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {/* Five columns scroll inside the table on a phone: focusable, so a keyboard can scroll it too. */}
      <table class="counts" tabindex={0}>
        <caption>By delivery mode</caption>
        <ColumnHeads labels={["Mode", "People reached", "Devices", "Excluded: no device", "Excluded: opted out"]} />
        <tbody>
          {(Object.entries(preview.byMode) as [
            Mode,
            RecipientPreview["byMode"][Mode],
          ][]).map(([mode, r]) => (
            <tr key={mode}>
              <th scope="row">{MODE_LABEL[mode]}</th>
              <td>{r!.people}</td>
              <td>{r!.devices}</td>
              <td>{r!.noDevice}</td>
              <td>{r!.optedOut}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** How the message's texts and calls treat quiet hours: the sender's choice, or the district's windows. */
function QuietHours({ message, district }: { message: Message; district: District }) {
  const windows = (["text", "voice"] as const).filter((mode) => message.modes.includes(mode));
  if (!windows.length) return null;
  return (
    <p id="quiet-hours">
      {message.outsideQuietHours
        ? "Quiet hours: Send outside quiet hours was chosen, so texts and calls go at their time, even in quiet hours."
        : message.type === "emergency"
        ? "Quiet hours: an Emergency message does not wait for them."
        : `Quiet hours: ${
          windows.map((mode, i) =>
            `${mode === "text" ? "texts" : "calls"}${i === 0 ? " go out only" : ""} ${
              describeWindow(windowOf(district, mode)!)
            }`
          ).join(" and ")
        }; at other times they wait.`}
    </p>
  );
}

export function MessageDetailsView(
  { d, district }: { d: MessageDetails; district: District },
) {
  const m = d.message.value;
  const s = m.schedule;
  return (
    <article class="details">
      <p>
        <a href="/messages">← Upcoming Messages</a>
      </p>
      <h1>{m.subject}</h1>
      <MessageMarks
        type={m.type}
        recurring={s.kind === "recurring"}
        attachments={m.attachments.length > 0}
        modes={m.modes}
      />
      {m.canceled
        ? (
          <p class="notice" role="status">
            {`Canceled by ${m.canceled.name}, ${formatInstant(Date.parse(m.canceled.at), district.timeZone)}.`}
          </p>
        )
        : m.nextAt !== null && (
          <p class="actions">
            <a class="button" href={`/messages/${m.id}/edit`}>Edit Message</a>
          </p>
        )}
      <dl class="facts">
        <dt>Calendar</dt>
        <dd>{d.calendar ? d.calendar.name : "Deleted calendar"}</dd>
        <dt>Message ID</dt>
        <dd>
          <code>{m.id}</code>
        </dd>
      </dl>
      <dl class="facts">
        <CreatedBy created={m.created} modified={m.modified} timeZone={district.timeZone} />
      </dl>
      <section aria-labelledby="schedule-h">
        <h2 id="schedule-h">Schedule</h2>
        <p>
          {describeSchedule(s)}
          {s.kind === "recurring" &&
            `, starting ${formatDate(s.startDate)}`}
          {s.kind === "recurring" && s.skipNoSchoolDays &&
            "; skips the calendar's no-school days"}
        </p>
        <p>
          {"Delivery times ("}
          {district.timeZone}
          {"): "}
          {(Object.entries(s.times) as [Mode, string][]).map(([mode, t]) => `${MODE_LABEL[mode]} ${formatClock(t)}`)
            .join(", ")}
        </p>
        <QuietHours message={m} district={district} />
        {d.upcoming.length === 0 ? <p>No deliveries left.</p> : (
          <ol class="occurrences" aria-label="Next deliveries">
            {d.upcoming.map((o) => (
              <li key={o.date} class={o.skipped ? "skipped" : undefined}>
                {formatInstant(o.at, district.timeZone)}
                {o.skipped === "skip date" && " (skipped)"}
                {o.skipped === "no school" &&
                  ` (skipped: no school, ${o.skipReason})`}
              </li>
            ))}
          </ol>
        )}
      </section>
      {d.preview ? <RecipientSummary preview={d.preview} /> : (
        <p class="error">
          The calendar of this message no longer exists, so its recipients cannot be listed.
        </p>
      )}
      <section aria-labelledby="content-h">
        <h2 id="content-h">Content</h2>
        {d.languages && (
          <p>
            {`In ${staffLanguageName(d.languages[0].tag)}, for ${
              recipients(d.languages[0].count)
            }: everyone whose language is not one of those below.`}
          </p>
        )}
        {CONTENT.filter(([mode]) => m.modes.includes(mode)).map(([mode, field]) => (
          <Fragment key={mode}>
            <h3>{MODE_LABEL[mode]}</h3>
            <pre class="content">{m.content[field]}</pre>
            {mode === "inbox" && d.preview && (
              <p>
                <a href={`/messages/${m.id}/family-view`}>See it as a family sees it in the portal</a>
              </p>
            )}
          </Fragment>
        ))}
      </section>
      {(m.languages ?? []).map((tag) => (
        <TranslationDetails
          key={tag}
          message={m}
          tag={tag}
          d={d}
          district={district}
        />
      ))}
      {m.attachments.length > 0 && (
        <section aria-labelledby="attachments-h">
          <h2 id="attachments-h">Attachments</h2>
          <ul>
            {m.attachments.map((a) => (
              <li key={a.id}>
                <a href={`/messages/${m.id}/attachments/${a.id}`}>{a.name}</a>
                {` (${fileSize(a.size)})`}
              </li>
            ))}
          </ul>
        </section>
      )}
      {d.audit.length > 0 && (
        <section aria-labelledby="history-h">
          <h2 id="history-h">History</h2>
          <ul>
            {d.audit.map((a) => (
              <li key={`${a.at}${a.action}`}>
                {`${formatInstant(a.at, district.timeZone)}: ${a.action} by ${a.name}`}
                {a.changes.length > 0 && (
                  <table class="changes">
                    <ColumnHeads labels={["Changed", "Before", "After"]} />
                    <tbody>
                      {a.changes.map((ch) => (
                        <tr key={ch.field}>
                          <th scope="row">{ch.field}</th>
                          <td>{ch.before}</td>
                          <td>{ch.after}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}

const recipients = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "recipient" : "recipients"}`;

/** One language's content: its subject and each mode's, with its recipients and whether it may be out of date. */
function TranslationDetails(
  { message: m, tag, d, district }: { message: Message; tag: string; d: MessageDetails; district: District },
) {
  const t = m.translations?.[tag];
  if (!t) return null;
  const name = staffLanguageName(tag);
  const count = d.languages?.find((l) => l.tag === tag)?.count;
  return (
    <section aria-labelledby={`content-${tag}-h`}>
      <h2 id={`content-${tag}-h`}>{`Content in ${name}`}</h2>
      <p>
        {count === undefined ? "" : `For ${recipients(count)}. `}
        {t.machine ? "Machine translation, which staff may have corrected." : "Written by staff."}
      </p>
      {isStale(t, { subject: m.subject, ...m.content }) && (
        <p class="stale" role="note">
          {`May be out of date: the ${
            staffLanguageName(defaultLanguage(district))
          } content changed after this was made. Edit Message to translate it again, or to mark it up to date.`}
        </p>
      )}
      <h3>Subject</h3>
      <pre class="content" lang={tag} dir="auto">{t.subject}</pre>
      {CONTENT.filter(([mode]) => m.modes.includes(mode)).map(([mode, field]) => (
        <Fragment key={mode}>
          <h3>{MODE_LABEL[mode]}</h3>
          <pre class="content" lang={tag} dir="auto">{t[field]}</pre>
        </Fragment>
      ))}
    </section>
  );
}

export function RunDetailsView(
  { run, facts, district, csrf, refreshMs }: {
    run: Run;
    /** Inbox deliveries the families opened. */
    facts: RunFacts;
    district: District;
    csrf: string;
    refreshMs: number;
  },
) {
  const m = run.message;
  const finished = isFinished(run);
  // Processing, Sending or Canceling: the status and counts still move, so the page keeps itself current.
  const live = isCancelable(run) || run.status === "canceling";
  return (
    <article class="details">
      <p>
        {finished ? <a href="/sent">← Sent Message Log</a> : <a href="/messages?tab=in-progress">← In Progress</a>}
      </p>
      <div class="bar">
        <h1>{m.subject}</h1>
        {live && (
          <Refreshing targets={["run-status", "run-progress"]} intervalMs={refreshMs} timeZone={district.timeZone} />
        )}
      </div>
      {live && <ReloadWithoutScript intervalMs={refreshMs} />}
      <MessageMarks type={m.type} recurring={m.recurring} attachments={m.hasAttachment} modes={m.modes} />
      <dl class="facts">
        <dt>Status</dt>
        <dd id="run-status">
          <StatusLabel status={run.status} />
        </dd>
        <dt>Message ID</dt>
        <dd>
          <code class="message-id" id="message-id">{run.id}</code>{" "}
          <Island name="CopyButton" props={{ value: run.id, label: "Copy Message ID" }} />
        </dd>
        <CreatedBy created={m.created} modified={m.modified} />
        <dt>Started</dt>
        <dd>{formatInstant(run.startedAt, district.timeZone)}</dd>
        {m.outsideQuietHours && (
          <>
            <dt>Quiet hours</dt>
            <dd>Send outside quiet hours was chosen: texts and calls go at their time</dd>
          </>
        )}
      </dl>
      <div id="run-progress">
        <RunProgress run={run} facts={facts} district={district} csrf={csrf} />
      </div>
    </article>
  );
}

/** Everything on a run's View Details that changes as it goes: replaced whole by each refresh. */
function RunProgress(
  { run, facts, district, csrf }: { run: Run; facts: RunFacts; district: District; csrf: string },
) {
  const failed = failedAt(run);
  const finished = isFinished(run);
  return (
    <>
      {run.status === "failed" && run.error && (
        <section class="failure" aria-labelledby="failure-h">
          <h2 id="failure-h">Why it failed</h2>
          <dl class="facts">
            <dt>Error reason</dt>
            <dd>{run.error.reason}</dd>
            <dt>Stage</dt>
            <dd>{run.error.stage}</dd>
            <dt>Failed at</dt>
            <dd>
              {failed ? formatInstant(failed, district.timeZone) : "unknown"}
            </dd>
            <dt>Technical detail</dt>
            <dd>
              <code>{run.error.detail}</code>
            </dd>
          </dl>
          <p>Nobody received this message: it failed before it left Messenger.</p>
          {!run.retriedBy && (
            <form method="post" action={`/runs/${run.id}/retry`} class="inline">
              <CsrfField token={csrf} />
              <button type="submit">Retry</button>
            </form>
          )}
        </section>
      )}
      {Object.keys(run.counts).length > 0 && (
        <table class="counts">
          <caption>{finished ? "Final counts" : "Progress so far"}</caption>
          <ColumnHeads labels={["Mode", "Pending", "Sent", "Delivered", "Failed", "Canceled", "Redial pending"]} />
          <tbody>
            {MODES.filter((mode) => run.counts[mode]).map((mode) => [mode, run.counts[mode]!] as const).map((
              [mode, c],
            ) => (
              <tr key={mode}>
                <th scope="row">{MODE_LABEL[mode]}</th>
                <td>{c.pending ?? 0}</td>
                <td>{c.sent ?? 0}</td>
                <td>{c.delivered ?? 0}</td>
                <td>{c.failed ?? 0}</td>
                <td>{c.canceled ?? 0}</td>
                <td>{c.redial ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* Read, opened and bounced are not states (a read delivery is still delivered): beside the table. */}
      {run.counts.inbox && (
        <p>
          {`Inbox: ${run.counts.inbox.delivered ?? 0} delivered, ${facts.read} read`}
          {(run.counts.inbox.delivered ?? 0) > 0 && (
            <>
              {" · "}
              <a href={`/runs/${run.id}/family-view`}>See it as a family sees it</a>
            </>
          )}
        </p>
      )}
      {/* Only a provider with events (Mailgun) tells delivered, bounced and opened emails apart. */}
      {run.counts.email && ((run.counts.email.delivered ?? 0) > 0 || facts.bounced > 0 || facts.opened > 0) && (
        <p>
          {`Email: ${run.counts.email.delivered ?? 0} delivered, ${facts.bounced} bounced, ${facts.opened} opened`}
        </p>
      )}
      {Object.keys(run.counts).length > 0 && (
        <p>
          <a href={`/runs/${run.id}/recipients`}>Recipient Report</a>
          {Object.values(run.counts).some((c) => (c?.failed ?? 0) > 0) && (
            <>
              {" · "}
              <a href={`/runs/${run.id}/recipients?state=failed`}>Failed deliveries and the providers' responses</a>
            </>
          )}
          {" · "}
          <a href={`/runs/${run.id}/recipients.csv`} download>Export CSV</a>
        </p>
      )}
      {run.retryOf && (
        <p>
          {"A retry of "}
          <a href={`/runs/${run.retryOf}`}>{run.retryOf}</a>
        </p>
      )}
      {run.retriedBy && (
        <p>
          {"Retried as "}
          <a href={`/runs/${run.retriedBy}`}>{run.retriedBy}</a>
        </p>
      )}
      <section aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <ol>
          {run.transitions.map((t) => (
            <li key={`${t.status}${t.at}`}>
              {`${formatInstant(t.at, district.timeZone)}: ${RUN_STATUS_LABEL[t.status]}${t.by ? ` (by ${t.by})` : ""}`}
            </li>
          ))}
        </ol>
      </section>
      {isCancelable(run) && (
        <p class="actions">
          <a class="button danger" href={`/runs/${run.id}/cancel`}>
            Cancel Message
          </a>
        </p>
      )}
      {run.status === "canceling" && (
        <p>
          Canceling: waiting for the providers to confirm. Some recipients may already have received this message.
        </p>
      )}
    </>
  );
}
