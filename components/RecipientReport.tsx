import { FilterSelect } from "./FilterSelect.tsx";
import { ColumnHeads } from "./Labels.tsx";
import type { Run } from "../services/model.ts";
import { MODE_LABEL, MODES } from "../services/model.ts";
import type { ReportQuery, ReportRow } from "../services/report.ts";
import type { Page } from "../services/store/kv.ts";
import { type CallResult, DeliveryState } from "../services/store/deliveries.ts";
import { formatInstant } from "../services/time.ts";
import { href } from "./href.ts";

function reportHref(runId: string, q: Partial<ReportQuery>, csv = false): string {
  return href(`/runs/${runId}/recipients${csv ? ".csv" : ""}`, q);
}

/** For a run canceled while sending: who got it before the cancel, and who never will. */
function CanceledSummary({ run }: { run: Run }) {
  const sum = (results: (keyof NonNullable<Run["counts"][keyof Run["counts"]]>)[]) =>
    Object.values(run.counts).reduce((n, c) => n + results.reduce((m, r) => m + (c?.[r] ?? 0), 0), 0);
  return (
    <p class="notice">
      {"Canceled while sending: "}
      <a href={reportHref(run.id, { state: "delivered" })}>
        {`${sum(["delivered", "sent"])} copies went out before the cancel`}
      </a>
      {"; "}
      <a href={reportHref(run.id, { state: "canceled" })}>{`${sum(["canceled"])} never will`}</a>
      {"."}
    </p>
  );
}

/** Who or what the latest call reached, in words. */
const CALL_RESULT_LABEL: Record<CallResult, string> = {
  human: "Answered by a person",
  machine: "Answering machine, message left after the beep",
  unknown: "Answered (person or machine not known)",
  "no-answer": "No answer",
  busy: "Busy",
};

/** Text that keeps its row to one line: cut short on screen, whole in its tooltip and to screen readers. */
function Clip({ text, wide = false, narrow = false }: { text: string; wide?: boolean; narrow?: boolean }) {
  return <span class={wide ? "clip wide" : narrow ? "clip narrow" : "clip"} title={text}>{text}</span>;
}

/**
 * One delivery on one line, so a screen holds dozens of them; what only support needs (the provider's status and
 * reference, the error code, when each attempt was and the last change) opens on demand, without JavaScript.
 */
function ReportLine({ r, timeZone }: { r: ReportRow; timeZone: string }) {
  const d = r.delivery;
  // In plain words on the row; with the provider's code under Details.
  const why = r.meaning || d.error || (d.errorCode ? `error ${d.errorCode}` : "");
  const reason = d.errorCode ? `${d.errorCode}: ${why}` : why;
  const attempts = d.history.filter((h) => h.state === "sending");
  // Only a delivered inbox message can be opened, so only its row says whether it was.
  const read = d.mode === "inbox" && d.state === "delivered"
    ? d.readAt === undefined ? " · Not read" : ` · Read ${formatInstant(d.readAt, timeZone)}`
    : d.openedAt !== undefined
    // An email's open is known only when it is tracked (Mailgun): none known is no sign it was not opened.
    ? ` · Opened ${formatInstant(d.openedAt, timeZone)}`
    : "";
  const call = d.callResult ? ` · ${CALL_RESULT_LABEL[d.callResult]}` : "";
  return (
    <tr>
      <th scope="row">
        <Clip text={d.name} />
      </th>
      <td>
        <Clip text={r.relationship} />
      </td>
      <td>
        <Clip text={r.device} />
      </td>
      <td>{MODE_LABEL[d.mode]}</td>
      <td>
        {/* A copy that is not in the recipient's language says why, whole in its tooltip and under Details. */}
        <Clip text={d.languageNote ? `${r.language} · ${d.languageNote}` : r.language} narrow />
      </td>
      <td>
        <Clip text={why ? `${d.state}: ${why}${call}` : `${d.state}${read}${call}`} wide />
      </td>
      <td class="num">{d.attempts}</td>
      <td>
        <details class="more">
          <summary>
            Show<span class="visually-hidden">{` details for ${d.name}, ${MODE_LABEL[d.mode]}`}</span>
          </summary>
          <dl class="facts">
            <dt>Provider status</dt>
            <dd>{d.providerStatus || "none yet"}</dd>
            {d.callResult && (
              <>
                <dt>Call result</dt>
                <dd>{CALL_RESULT_LABEL[d.callResult]}</dd>
              </>
            )}
            {r.language && (
              <>
                <dt>Language</dt>
                <dd>{d.languageNote ? `${r.language} (${d.languageNote})` : r.language}</dd>
              </>
            )}
            {d.segments !== undefined && (
              <>
                <dt>Sent as</dt>
                <dd>{d.segments === 1 ? "1 text" : `${d.segments} texts`}</dd>
              </>
            )}
            {reason && (
              <>
                <dt>Error</dt>
                <dd>{reason}</dd>
              </>
            )}
            {r.meaning && d.error && d.error !== r.meaning && (
              <>
                <dt>Provider's words</dt>
                <dd>{d.error}</dd>
              </>
            )}
            <dt>Provider reference</dt>
            <dd>
              <code>{d.providerId || "none"}</code>
            </dd>
            <dt>Last update</dt>
            <dd>{formatInstant(d.updatedAt, timeZone)}</dd>
            <dt>Attempts</dt>
            <dd>
              {attempts.length === 0 ? "none yet" : (
                <ol class="attempts">
                  {attempts.map((h) => <li key={h.at}>{formatInstant(h.at, timeZone)}</li>)}
                </ol>
              )}
            </dd>
          </dl>
        </details>
      </td>
    </tr>
  );
}

export function RecipientReport(
  { run, page, query, timeZone, errors }: {
    run: Run;
    page: Page<ReportRow>;
    query: ReportQuery;
    timeZone: string;
    errors: Record<string, string>;
  },
) {
  return (
    <section class="report">
      <p>
        <a href={`/runs/${run.id}`}>← View Details</a>
      </p>
      <h1>{`Recipient Report: ${run.message.subject}`}</h1>
      <p>
        {"Message ID "}
        <code>{run.id}</code>
      </p>
      {run.status === "canceled" && <CanceledSummary run={run} />}
      {Object.entries(errors).map(([k, v]) => <p key={k} class="error" role="alert">{`${k}: ${v}`}</p>)}
      <form method="get" action={`/runs/${run.id}/recipients`} class="filters" role="search">
        <FilterSelect
          label="State"
          name="state"
          any="Any state"
          options={DeliveryState.options}
          selected={query.state}
        />
        <FilterSelect
          label="Mode"
          name="mode"
          any="Any mode"
          options={MODES}
          selected={query.mode}
          labelOf={(m) => MODE_LABEL[m]}
        />
        <label>
          Person
          <input type="search" name="q" value={query.q} maxLength={100} />
        </label>
        <button type="submit">Filter</button>
        <a class="button secondary" href={reportHref(run.id, { ...query, cursor: "" }, true)} download>Export CSV</a>
      </form>
      {page.items.length === 0
        ? <p class="empty">No recipients match.</p>
        : (
          <div class="table-scroll" role="region" aria-label="Recipients" tabindex={0}>
            <table class="counts text report-table">
              <ColumnHeads
                labels={["Person", "Relationship", "Device", "Mode", "Language", "State", "Attempts", "Details"]}
                numeric={["Attempts"]}
              />
              <tbody>
                {page.items.map((r) => (
                  <ReportLine key={`${r.delivery.mode}${r.delivery.id}`} r={r} timeZone={timeZone} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      {page.next && (
        <nav class="pager">
          <a href={reportHref(run.id, { ...query, cursor: page.next })} rel="next">
            {page.partial ? "Keep searching" : "Next page"}
          </a>
        </nav>
      )}
    </section>
  );
}
