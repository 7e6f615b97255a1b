/** Step 3, Send Options: message type, delivery modes, when, the Recurrence Pattern, and the next deliveries. */
import { WEEKDAY_LABEL, WEEKDAYS } from "../../services/compose/forms.ts";
import { MESSAGE_TYPE_LABEL, MESSAGE_TYPES, MODE_LABEL, MODES } from "../../services/model.ts";
import { formatInstant } from "../../services/time.ts";
import { Checkbox, FieldError, Fieldset, LabeledInput } from "./fields.tsx";
import type { WizardProps } from "./props.ts";

export function SendOptionsStep({ draft, user, errors, timeZone, upcoming, patternText }: WizardProps) {
  const s = draft.send;
  const radio = (name: string, value: string, label: string, checked: boolean) => (
    <label class="check">
      <input type="radio" name={name} value={value} checked={checked} />
      {label}
    </label>
  );
  return (
    <>
      <Fieldset legend="Message type" errors={errors} name="type">
        {MESSAGE_TYPES.filter((t) => user.rights.messageTypes.includes(t)).map((t) =>
          radio("type", t, MESSAGE_TYPE_LABEL[t], s.type === t)
        )}
      </Fieldset>
      <Fieldset legend="Delivery modes" errors={errors} name="modes">
        {MODES.filter((m) => user.rights.modes.includes(m)).map((m) => (
          <Checkbox key={m} name="modes" value={m} checked={s.modes.includes(m)} label={MODE_LABEL[m]} />
        ))}
      </Fieldset>
      <Fieldset legend={`When (${timeZone})`} errors={errors} name="when">
        {radio("when", "now", "Send Now", s.when === "now")}
        {radio("when", "later", "Send at a date and time", s.when === "later")}
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
      </Fieldset>
      <Fieldset legend="Recurrence Pattern" errors={errors} name="repeat">
        {radio("repeat", "none", "Does not repeat", s.repeat === "none")}
        {radio("repeat", "daily", "Daily", s.repeat === "daily")}
        {radio("repeat", "weekly", "Weekly", s.repeat === "weekly")}
        {radio("repeat", "monthly", "Monthly", s.repeat === "monthly")}
        <label>
          Every how many days / weeks / months
          <input name="interval" value={s.interval || "1"} inputMode="numeric" size={3} />
        </label>
        <FieldError errors={errors} name="interval" />
        <Fieldset legend="Weekly on" errors={errors} name="weekdays">
          {WEEKDAYS.map((d) => (
            <Checkbox key={d} name="weekdays" value={d} checked={s.weekdays.includes(d)} label={WEEKDAY_LABEL[d]} />
          ))}
        </Fieldset>
        <Fieldset legend="Monthly on" errors={errors} name="monthDay">
          {radio("monthlyBy", "day", "Day of the month", s.monthlyBy === "day")}
          <label>
            Day (1–31 or "last")
            <input name="monthDay" value={s.monthDay} size={4} />
          </label>
          {radio("monthlyBy", "weekday", "A weekday of the month", s.monthlyBy === "weekday")}
          <div class="row">
            <label>
              Which
              <select name="nth">
                {[["1", "First"], ["2", "Second"], ["3", "Third"], ["4", "Fourth"], ["-1", "Last"]].map(([v, l]) => (
                  <option key={v} value={v} selected={s.nth === v}>{l}</option>
                ))}
              </select>
            </label>
            <FieldError errors={errors} name="nth" />
            <label>
              Day
              <select name="nthWeekday">
                {WEEKDAYS.map((d) => <option key={d} value={d} selected={s.nthWeekday === d}>{WEEKDAY_LABEL[d]}
                </option>)}
              </select>
            </label>
            <FieldError errors={errors} name="nthWeekday" />
          </div>
        </Fieldset>
        <Fieldset legend="Ends" errors={errors} name="ends">
          {radio("ends", "date", "On a date (empty: the calendar's last day)", s.ends === "date")}
          <input type="date" name="endDate" value={s.endDate} aria-label="End date" />
          <FieldError errors={errors} name="endDate" />
          {radio("ends", "count", "After a number of occurrences", s.ends === "count")}
          <input name="count" value={s.count} inputMode="numeric" size={4} aria-label="Number of occurrences" />
          <FieldError errors={errors} name="count" />
        </Fieldset>
        <label>
          Skip these dates (YYYY-MM-DD, one per line)
          <textarea name="skipDates" rows={3}>{s.skipDates}</textarea>
        </label>
        <FieldError errors={errors} name="skipDates" />
        <label class="check">
          <input type="checkbox" name="skipNoSchoolDays" checked={s.skipNoSchoolDays} />
          Skip the calendar's no-school days
        </label>
      </Fieldset>
      {upcoming && upcoming.length > 0 && (
        <section aria-labelledby="next-h">
          <h2 id="next-h">Next deliveries</h2>
          {patternText && <p>{patternText}</p>}
          <ol class="occurrences">
            {upcoming.map((o) => (
              <li key={o.date} class={o.skipped ? "skipped" : undefined}>
                {formatInstant(o.at, timeZone)}
                {o.skipped === "skip date" && " (skipped)"}
                {o.skipped === "no school" && ` (skipped: no school, ${o.skipReason})`}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}
