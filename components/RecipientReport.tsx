import { ColumnHeads } from "./Labels.tsx";
import type { Run } from "../services/model.ts";
import { MODE_LABEL, MODES } from "../services/model.ts";
import type { ReportQuery, ReportRow } from "../services/report.ts";
import type { Page } from "../services/store/kv.ts";
import { DeliveryState } from "../services/store/deliveries.ts";
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
        <label>
          State
          <select name="state">
            <option value="">Any state</option>
            {DeliveryState.options.map((s) => <option key={s} value={s} selected={query.state === s}>{s}</option>)}
          </select>
        </label>
        <label>
          Mode
          <select name="mode">
            <option value="">Any mode</option>
            {MODES.map((m) => <option key={m} value={m} selected={query.mode === m}>{MODE_LABEL[m]}</option>)}
          </select>
        </label>
        <label>
          Person
          <input type="search" name="q" value={query.q} maxLength={100} />
        </label>
        <button type="submit">Filter</button>
        <a class="button secondary" href={reportHref(run.id, { ...query, cursor: "" }, true)} download>Export CSV</a>
      </form>
      {page.items.length === 0 ? <p class="empty">No recipients match.</p> : (
        <table class="counts report-table">
          <ColumnHeads labels={["Person", "Relationship", "Device", "Mode", "State", "Provider", "Attempts"]} />
          <tbody>
            {page.items.map((r) => {
              const d = r.delivery;
              const attempts = d.history.filter((h) => h.state === "sending").map((h) => formatInstant(h.at, timeZone));
              return (
                <tr key={`${d.mode}${d.id}`}>
                  <th scope="row">{d.name}</th>
                  <td>{r.relationship}</td>
                  <td>{r.device}</td>
                  <td>{MODE_LABEL[d.mode]}</td>
                  <td>{d.state}</td>
                  <td>
                    {[d.providerId, d.providerStatus].filter(Boolean).join(" · ")}
                    {d.errorCode && <div class="error">{`${d.errorCode}: ${r.meaning || d.error || ""}`}</div>}
                  </td>
                  <td>
                    {d.attempts}
                    {attempts.length > 0 && (
                      <ol class="attempts">
                        {attempts.map((at, i) => <li key={i}>{at}</li>)}
                      </ol>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
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
