/** The Bad contacts report: one device a line, its problem in words, how often and when it failed. */
import { ColumnHeads } from "./Labels.tsx";
import { MODE_LABEL } from "../services/model.ts";
import {
  CONTACT_MODES,
  CONTACT_STATUS_LABEL,
  CONTACT_STATUSES,
  type ContactRow,
  type ContactsQuery,
  type ContactsScope,
  PROBLEM_LABEL,
  PROBLEMS,
} from "../services/bad_contacts.ts";
import type { Page } from "../services/store/kv.ts";
import { formatInstant } from "../services/time.ts";
import { href } from "./href.ts";

const contactsHref = (q: Partial<ContactsQuery>, csv = false) => href(`/admin/contacts${csv ? ".csv" : ""}`, q);

const shortDates = new Map<string, Intl.DateTimeFormat>();
/** "Nov 3": within 30 days the day says enough; the whole time is in the tooltip. */
function ShortDate({ at, timeZone }: { at: number; timeZone: string }) {
  let format = shortDates.get(timeZone);
  if (!format) {
    shortDates.set(timeZone, format = new Intl.DateTimeFormat("en-US", { timeZone, month: "short", day: "numeric" }));
  }
  return <time datetime={new Date(at).toISOString()} title={formatInstant(at, timeZone)}>{format.format(at)}</time>;
}

/** Text that keeps its row to one line: cut short on screen, whole in its tooltip and to screen readers. */
function Clip({ text, wide = false }: { text: string; wide?: boolean }) {
  return <span class={wide ? "clip wide" : "clip"} title={text}>{text}</span>;
}

const STATUS_TEXT: Record<ContactRow["status"], string> = {
  open: "Needs fixing",
  fixed: "Fixed",
  removed: "Left the roster",
};

function ContactLine(
  { r, timeZone, linkPeople, showStatus }: {
    r: ContactRow;
    timeZone: string;
    linkPeople: boolean;
    showStatus: boolean;
  },
) {
  const error = r.code ? `${r.code}: ${r.words}` : r.words;
  return (
    <tr>
      <th scope="row">
        {linkPeople && r.person
          ? (
            <a href={`/admin/people/${encodeURIComponent(r.contact.personId)}`} class="clip" title={r.name}>
              {r.name}
            </a>
          )
          : <Clip text={r.name} />}
      </th>
      <td>
        <Clip text={r.relationship} />
      </td>
      <td>
        <Clip text={r.schools} />
      </td>
      <td>{r.device}</td>
      <td>{r.modes.map((m) => MODE_LABEL[m]).join(", ")}</td>
      <td>
        <Clip text={r.problems.map((p) => PROBLEM_LABEL[p]).join("; ")} />
      </td>
      <td>
        <span class="clip wide" title={error}>{r.words}</span>
      </td>
      <td class="num">{r.count}</td>
      <td>
        <ShortDate at={r.first} timeZone={timeZone} />
      </td>
      <td>
        <ShortDate at={r.last} timeZone={timeZone} />
      </td>
      {showStatus && <td>{STATUS_TEXT[r.status]}</td>}
    </tr>
  );
}

export function BadContacts(
  { scope, page, query, timeZone, errors, linkPeople }: {
    scope: ContactsScope;
    page: Page<ContactRow>;
    query: ContactsQuery;
    timeZone: string;
    errors: Record<string, string>;
    /** The person's page (/admin/people/:id) is for administrators: others see the name alone. */
    linkPeople: boolean;
  },
) {
  const showStatus = query.status !== "open";
  const where = scope.all ? "" : ` at ${scope.schools.map((s) => s.name).join(", ")}`;
  return (
    <section class="report contacts">
      <h1>Bad contacts</h1>
      <p class="hint">
        {`Devices whose messages failed for good in the last 30 days${where}, newest first. `}
        Addresses and numbers come from the roster: correct them in the student information system, and after the next
        roster import the device shows as fixed.{" "}
        {linkPeople && "For a landline, untick “Takes texts” on the person’s page."}
      </p>
      {Object.entries(errors).map(([k, v]) => <p key={k} class="error" role="alert">{`${k}: ${v}`}</p>)}
      <form method="get" action="/admin/contacts" class="filters" role="search">
        {scope.schools.length > 1 && (
          <label>
            School
            <select name="school">
              <option value="">{scope.all ? "Every school" : "All my schools"}</option>
              {scope.schools.map((s) => (
                <option key={s.id} value={s.id} selected={query.school === s.id}>{s.name}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          Problem
          <select name="problem">
            <option value="">Any problem</option>
            {PROBLEMS.map((p) => <option key={p} value={p} selected={query.problem === p}>{PROBLEM_LABEL[p]}</option>)}
          </select>
        </label>
        <label>
          Mode
          <select name="mode">
            <option value="">Any mode</option>
            {CONTACT_MODES.map((m) => <option key={m} value={m} selected={query.mode === m}>{MODE_LABEL[m]}</option>)}
          </select>
        </label>
        <label>
          Status
          <select name="status">
            {CONTACT_STATUSES.map((s) => (
              <option key={s} value={s} selected={query.status === s}>{CONTACT_STATUS_LABEL[s]}</option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        <a class="button secondary" href={contactsHref({ ...query, cursor: "" }, true)} download>Export CSV</a>
      </form>
      {page.items.length === 0
        ? <p class="empty">No bad contacts match.</p>
        : (
          <div class="table-scroll" role="region" aria-label="Bad contacts" tabindex={0}>
            <table class="counts text report-table">
              <ColumnHeads
                labels={[
                  "Person",
                  "Relationship",
                  "School",
                  "Device",
                  "Mode",
                  "Problem",
                  "Last error",
                  "Failures",
                  "First",
                  "Last",
                  ...(showStatus ? ["Status"] : []),
                ]}
                numeric={["Failures"]}
              />
              <tbody>
                {page.items.map((r) => (
                  <ContactLine
                    key={`${r.contact.personId}~${r.contact.address}`}
                    r={r}
                    timeZone={timeZone}
                    linkPeople={linkPeople}
                    showStatus={showStatus}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      {page.next && (
        <nav class="pager" aria-label="Pages">
          <a href={contactsHref({ ...query, cursor: page.next })} rel="next">
            {page.partial ? "Keep searching" : "Next page"}
          </a>
        </nav>
      )}
    </section>
  );
}
