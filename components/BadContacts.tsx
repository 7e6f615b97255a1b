/** The Bad contacts report: one device a line, its problem in words, how often and when it failed. */
import { FilterSelect } from "./FilterSelect.tsx";
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

/** Beside a device fixed since (shown under "Fixed" and "Any"). */
const STATUS_TEXT: Record<Exclude<ContactRow["status"], "open">, string> = {
  fixed: "Fixed",
  removed: "Left the roster",
};

/** A guardian's students; a student or a staff member is named as such. */
function studentsOf(r: ContactRow): string {
  if (r.students.length) return r.students.join(", ");
  return r.person?.kind === "student" ? "(the student)" : r.person?.kind === "staff" ? "(staff)" : "";
}

/** The newest error in words, with any other problem that keeps the device on the report. */
function lastError(r: ContactRow): string {
  const also = r.problems.filter((p) => p !== r.contact.last.problem).map((p) => PROBLEM_LABEL[p].toLowerCase());
  return also.length ? `${r.words}; also ${also.join(", ")}` : r.words;
}

function ContactLine(
  { r, timeZone, linkPeople, showSchool }: {
    r: ContactRow;
    timeZone: string;
    linkPeople: boolean;
    showSchool: boolean;
  },
) {
  const error = lastError(r);
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
        <Clip text={studentsOf(r)} />
      </td>
      {showSchool && (
        <td>
          <Clip text={r.schools} />
        </td>
      )}
      <td>
        {r.device}
        {r.contact.device === "phone" && (
          <span class="device-modes">{` · ${r.modes.map((m) => MODE_LABEL[m]).join(", ")}`}</span>
        )}
        {r.status !== "open" && <span class="contact-fixed">{STATUS_TEXT[r.status]}</span>}
      </td>
      <td>
        <span class="clip wide" title={r.code ? `${r.code}: ${error}` : error}>{error}</span>
      </td>
      <td class="num">{r.count}</td>
      <td>
        <ShortDate at={r.first} timeZone={timeZone} />
      </td>
      <td>
        <ShortDate at={r.last} timeZone={timeZone} />
      </td>
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
  // An office of one school: the column would say the same on every row.
  const showSchool = scope.schools.length > 1;
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
        <FilterSelect
          label="Problem"
          name="problem"
          any="Any problem"
          options={PROBLEMS}
          selected={query.problem}
          labelOf={(p) => PROBLEM_LABEL[p]}
        />
        <FilterSelect
          label="Mode"
          name="mode"
          any="Any mode"
          options={CONTACT_MODES}
          selected={query.mode}
          labelOf={(m) => MODE_LABEL[m]}
        />
        <FilterSelect
          label="Status"
          name="status"
          options={CONTACT_STATUSES}
          selected={query.status}
          labelOf={(s) => CONTACT_STATUS_LABEL[s]}
        />
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
                  "Students",
                  ...(showSchool ? ["School"] : []),
                  "Device",
                  "Last error",
                  "Failures",
                  "First",
                  "Last",
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
                    showSchool={showSchool}
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
