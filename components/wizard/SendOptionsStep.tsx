/**
 * Step 3, Send Options: message type, delivery modes, when (quiet hours and,
 * with the right, sending outside them), the Recurrence Pattern, the next
 * deliveries and when each mode actually goes out. Only what applies to the
 * choices made is shown: the CSS hides the rest from the radios' state
 * (`:has`), so it holds with JavaScript off and the hidden fields still keep
 * their values.
 */
import { Fragment } from "preact";
import { UNSKIP, WEEKDAY_LABEL, WEEKDAYS } from "../../services/compose/forms.ts";
import { skipDateList } from "../../services/compose/send_options.ts";
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, MODE_LABEL, MODES } from "../../services/model.ts";
import { describeWindow } from "../../services/quiet_hours.ts";
import { formatDate, formatInstant, isCalendarDate } from "../../services/time.ts";
import { Checkbox, FieldError, Fieldset, LabeledInput } from "./fields.tsx";
import type { WizardProps } from "./props.ts";

/** A valid date in words; anything else as typed, so a bad one can be seen and removed. */
function dayLabel(date: string): string {
  return isCalendarDate(date) ? formatDate(date) : date;
}

export function SendOptionsStep(
  { draft, user, errors, timeZone, upcoming, patternText, goesOut, quietHours }: WizardProps,
) {
  const s = draft.send;
  // Buttons that redraw the step bring the person back to where they pressed.
  const here = (anchor: string) => `/compose/${draft.id}/send#${anchor}`;
  const radio = (name: string, value: string, label: string, checked: boolean) => (
    <label class="check" key={value}>
      <input type="radio" name={name} value={value} checked={checked} />
      {label}
    </label>
  );
  const skipDates = skipDateList(s);
  return (
    <>
      <Fieldset legend="Message type" errors={errors} name="type">
        <div class="choices">
          {MESSAGE_TYPES.filter((t) => user.rights.messageTypes.includes(t)).map((t) =>
            radio("type", t, MESSAGE_TYPE_LABEL[t], s.type === t)
          )}
        </div>
      </Fieldset>
      <Fieldset legend="Delivery modes" errors={errors} name="modes">
        <div class="choices">
          {MODES.filter((m) => user.rights.modes.includes(m)).map((m) => (
            <Checkbox key={m} name="modes" value={m} checked={s.modes.includes(m)} label={MODE_LABEL[m]} />
          ))}
        </div>
      </Fieldset>
      <Fieldset legend={`When (${timeZone})`} errors={errors} name="when">
        <div class="choices">
          {radio("when", "now", "Send Now", s.when === "now")}
          {radio("when", "later", "Send at a date and time", s.when === "later")}
        </div>
        <div class="when-later">
          <div class="row">
            <LabeledInput
              label={s.repeat === "none" ? "Date" : "Start date"}
              type="date"
              name="date"
              value={s.date}
              errors={errors}
            />
            <LabeledInput label="Time" type="time" name="time" value={s.time} errors={errors} />
          </div>
          <details open={MODES.some((m) => s[`time_${m}`])}>
            <summary>A different time for a delivery mode</summary>
            <div class="row">
              {MODES.filter((m) => user.rights.modes.includes(m)).map((m) => (
                <label key={m}>
                  {MODE_LABEL[m]}
                  <input type="time" name={`time_${m}`} value={s[`time_${m}`]} />
                  <FieldError errors={errors} name={`time_${m}`} />
                </label>
              ))}
            </div>
          </details>
        </div>
        {quietHours && (
          <p class="hint" id="quiet-hours">
            {`Quiet hours: General and Priority texts go out only ${describeWindow(quietHours.text)} and calls ${
              describeWindow(quietHours.voice)
            }; at other times they wait. Emergency messages do not wait.`}
          </p>
        )}
        {(user.rights.outsideQuietHours || draft.base?.outsideQuietHours) && (
          // The right's choice; an editor without it sees it only to keep or untick what the message had.
          <label class="check quiet-choice">
            <input
              type="checkbox"
              name="outsideQuietHours"
              checked={s.outsideQuietHours}
              aria-describedby={quietHours ? "quiet-hours" : undefined}
            />
            <span>
              {/* The comma inside: a hidden span's edge would otherwise put a space before it in the name. */}
              Send texts and calls <span class="if-now">now,</span>
              <span class="if-later">at their time,</span> even in quiet hours
            </span>
          </label>
        )}
        <FieldError errors={errors} name="outsideQuietHours" />
      </Fieldset>
      <Fieldset legend="Recurrence Pattern" errors={errors} name="repeat" class="recurrence">
        <div class="choices">
          {radio("repeat", "none", "Does not repeat", s.repeat === "none")}
          {radio("repeat", "daily", "Daily", s.repeat === "daily")}
          {radio("repeat", "weekly", "Weekly", s.repeat === "weekly")}
          {radio("repeat", "monthly", "Monthly", s.repeat === "monthly")}
        </div>
        <div class="repeats">
          <label class="inline-field">
            Repeat every
            <input
              name="interval"
              value={s.interval || "1"}
              inputMode="numeric"
              size={3}
              aria-invalid={errors.interval ? "true" : undefined}
              aria-describedby={errors.interval ? "interval-error" : undefined}
            />
            <span class="per-daily">days</span>
            <span class="per-weekly">weeks</span>
            <span class="per-monthly">months</span>
          </label>
          <FieldError errors={errors} name="interval" />
          <Fieldset legend="Weekly on" errors={errors} name="weekdays" class="weekly-only">
            <div class="choices">
              {WEEKDAYS.map((d) => (
                <Checkbox key={d} name="weekdays" value={d} checked={s.weekdays.includes(d)} label={WEEKDAY_LABEL[d]} />
              ))}
            </div>
          </Fieldset>
          <Fieldset legend="Monthly on" errors={errors} name="monthDay" class="monthly-only">
            <div class="row">
              {radio("monthlyBy", "day", "Day of the month", s.monthlyBy === "day")}
              <label class="inline-field">
                Day (1–31 or "last")
                <input name="monthDay" value={s.monthDay} size={4} />
              </label>
            </div>
            <div class="row">
              {radio("monthlyBy", "weekday", "A weekday of the month", s.monthlyBy === "weekday")}
              <label class="inline-field">
                Which
                <select name="nth">
                  {[["1", "First"], ["2", "Second"], ["3", "Third"], ["4", "Fourth"], ["-1", "Last"]].map(([v, l]) => (
                    <option key={v} value={v} selected={s.nth === v}>{l}</option>
                  ))}
                </select>
              </label>
              <label class="inline-field">
                Day
                <select name="nthWeekday">
                  {WEEKDAYS.map((d) => (
                    <option key={d} value={d} selected={s.nthWeekday === d}>{WEEKDAY_LABEL[d]}</option>
                  ))}
                </select>
              </label>
            </div>
            <FieldError errors={errors} name="nth" />
            <FieldError errors={errors} name="nthWeekday" />
          </Fieldset>
          <Fieldset legend="Ends" errors={errors} name="ends">
            <div class="row">
              {radio("ends", "date", "On a date (empty: the calendar's last day)", s.ends === "date")}
              <input
                type="date"
                name="endDate"
                value={s.endDate}
                aria-label="End date"
                aria-invalid={errors.endDate ? "true" : undefined}
                aria-describedby={errors.endDate ? "endDate-error" : undefined}
              />
            </div>
            <FieldError errors={errors} name="endDate" />
            <div class="row">
              {radio("ends", "count", "After a number of occurrences", s.ends === "count")}
              <input
                name="count"
                value={s.count}
                inputMode="numeric"
                size={4}
                aria-label="Number of occurrences"
                aria-invalid={errors.count ? "true" : undefined}
                aria-describedby={errors.count ? "count-error" : undefined}
              />
            </div>
            <FieldError errors={errors} name="count" />
          </Fieldset>
          <Fieldset legend="Skip dates" errors={errors} name="skipDates" id="skip-dates">
            {skipDates.length > 0
              ? (
                <ul class="skip-list">
                  {skipDates.map((d) => (
                    <li key={d}>
                      {dayLabel(d)}
                      <input type="hidden" name="skipDates" value={d} />
                      <button
                        type="submit"
                        name="go"
                        value={`${UNSKIP}${d}`}
                        class="secondary"
                        formAction={here("skip-dates")}
                      >
                        Remove<span class="visually-hidden">{` ${dayLabel(d)}`}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              )
              : <p class="hint">No single dates are skipped.</p>}
            <div class="row add-date">
              <LabeledInput label="Skip a date" type="date" name="skipDate" value={s.skipDate} errors={errors} />
              <button type="submit" name="go" value="skip-add" class="secondary" formAction={here("skip-dates")}>
                Add date
              </button>
            </div>
            <label class="check">
              <input type="checkbox" name="skipNoSchoolDays" checked={s.skipNoSchoolDays} />
              Skip the calendar's no-school days
            </label>
          </Fieldset>
        </div>
      </Fieldset>
      <section id="next-deliveries" class="next-deliveries" aria-labelledby="next-h">
        <h2 id="next-h">Next deliveries</h2>
        {patternText && <p>{patternText}</p>}
        {upcoming && upcoming.length > 0 && (
          <ol class="occurrences">
            {upcoming.map((o) => (
              <li key={o.date} class={o.skipped ? "skipped" : undefined}>
                {formatInstant(o.at, timeZone)}
                {o.skipped === "skip date" && " (skipped)"}
                {o.skipped === "no school" && ` (skipped: no school, ${o.skipReason})`}
              </li>
            ))}
          </ol>
        )}
        {goesOut && goesOut.length > 0 && (
          <>
            <h3 id="goes-out-h">
              {s.when === "now" || s.repeat === "none" ? "When it goes out" : "When the first delivery goes out"}
            </h3>
            <dl class="goes-out">
              {goesOut.map(({ mode, when, waits }) => (
                <Fragment key={mode}>
                  <dt>{mode}</dt>
                  <dd class={waits ? "waits" : undefined}>{when}</dd>
                </Fragment>
              ))}
            </dl>
          </>
        )}
        {!upcoming?.length && !goesOut?.length && (
          <p class="hint">
            {Object.keys(errors).length
              ? "Fix what is marked above to see the next deliveries."
              : "Press Update next deliveries to see when it goes out."}
          </p>
        )}
        <button type="submit" name="go" value="preview" class="secondary" formAction={here("next-deliveries")}>
          Update next deliveries
        </button>
      </section>
    </>
  );
}
