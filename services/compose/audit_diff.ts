/** What an Edit Message changed, field by field, in words, for the audit and View Details' history. */
import {
  type AuditEntry,
  type Message,
  MESSAGE_TYPE_LABEL,
  type Mode,
  MODE_LABEL,
  RECIPIENT_TYPE_LABEL,
  type Schedule,
} from "../model.ts";
import { describeSchedule } from "../recurrence.ts";
import { staffLanguageName } from "../translate/recipient_language.ts";
import { TRANSLATED_FIELDS } from "../translate/translate_content.ts";
import { CONTENT_FIELDS, CONTENT_LABEL } from "./forms.ts";

/** A translation's text in the history: its start, so a history entry stays small whatever the languages. */
const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);

function describeRecipients(r: Message["recipients"]): string {
  const parts = r.types.map((t) => RECIPIENT_TYPE_LABEL[t]);
  if (r.grades.length) parts.push(`grades ${r.grades.join(", ")}`);
  if (r.personIds.length) parts.push(`${r.personIds.length} individual(s)`);
  if (r.types.includes("guardians")) parts.push(r.oneCopyPerGuardian ? "one copy per guardian" : "a copy per student");
  return parts.join("; ");
}

/** What changed, field by field, for the audit and View Details' history. */
export function diffMessages(before: Message, after: Message): AuditEntry["changes"] {
  const changes: AuditEntry["changes"] = [];
  const add = (field: string, a: string, b: string) => {
    if (a !== b) changes.push({ field, before: a, after: b });
  };
  add("Subject", before.subject, after.subject);
  add("Message type", MESSAGE_TYPE_LABEL[before.type], MESSAGE_TYPE_LABEL[after.type]);
  add(
    "Delivery modes",
    before.modes.map((m) => MODE_LABEL[m]).join(", "),
    after.modes.map((m) => MODE_LABEL[m]).join(", "),
  );
  add("Calendar", before.calendarId, after.calendarId);
  add("Recipients", describeRecipients(before.recipients), describeRecipients(after.recipients));
  const when = (s: Schedule) =>
    `${describeSchedule(s)} ${s.kind === "once" ? s.date : `starting ${s.startDate}`} at ${
      Object.entries(s.times).map(([m, t]) => `${MODE_LABEL[m as Mode]} ${t}`).join(", ")
    }${s.kind === "recurring" && s.skipDates.length ? `; skipping ${s.skipDates.join(", ")}` : ""}`;
  add("Schedule", when(before.schedule), when(after.schedule));
  const quiet = (m: Message) => m.outsideQuietHours ? "sends outside quiet hours" : "waits for quiet hours";
  add("Quiet hours", quiet(before), quiet(after));
  for (const f of CONTENT_FIELDS) {
    if (before.content[f] !== after.content[f]) {
      changes.push({ field: CONTENT_LABEL[f], before: before.content[f], after: after.content[f] });
    }
  }
  const languages = (m: Message) => (m.languages ?? []).map(staffLanguageName).join(", ");
  add("Languages", languages(before), languages(after));
  for (const tag of after.languages ?? []) {
    const [was, now] = [before.translations?.[tag], after.translations?.[tag]];
    if (!was || !now) continue;
    for (const f of TRANSLATED_FIELDS) {
      if (was[f] !== now[f]) {
        changes.push({
          field: `${staffLanguageName(tag)}: ${CONTENT_LABEL[f]}`,
          before: clip(was[f]),
          after: clip(now[f]),
        });
      }
    }
  }
  add("Attachments", before.attachments.map((a) => a.name).join(", "), after.attachments.map((a) => a.name).join(", "));
  return changes;
}
