/** The dev outbox: what Messenger would have sent with no SMTP or Twilio configured. */
import type { Deps } from "../routes/env.ts";
import type { OutboxEntry } from "../services/store/outbox.ts";
import type { Page } from "../services/store/kv.ts";
import { formatInstant } from "../services/time.ts";
import { ColumnHeads } from "./Labels.tsx";

export function Outbox(
  { entries, providerNames, timeZone }: {
    entries: Page<OutboxEntry>;
    providerNames: Deps["providerNames"];
    timeZone: string;
  },
) {
  return (
    <section>
      <h1>Outbox</h1>
      <p>
        {`With no SMTP or Twilio configured, Messenger records here what it would have sent (kept 7 days). ` +
          `Email: ${providerNames.email}; texts: ${providerNames.sms}; calls: ${providerNames.voice}.`}
      </p>
      {entries.items.length === 0 ? <p class="empty">The outbox is empty.</p> : (
        <table class="counts outbox">
          <ColumnHeads labels={["When", "Kind", "To", "Subject / text"]} />
          <tbody>
            {entries.items.map((e) => (
              <tr key={e.id}>
                <td>{formatInstant(e.at, timeZone)}</td>
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
    </section>
  );
}
