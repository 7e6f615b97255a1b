/**
 * What each step shows beside its form: Recipients the preview, the chosen
 * and the found people; Content a merge sample; Send Options the next
 * deliveries and when each mode of the first actually goes out.
 */
import { MERGE_FIELDS, MergeFieldError, renderMerge } from "../merge.ts";
import { type Calendar, type District, MessageType, type Person, type User } from "../model.ts";
import { previewIn } from "../preview_language.ts";
import { chosenIndividuals, previewRecipients, type RecipientPreview, sampleRecipient } from "../recipients.ts";
import { type DailyWindow, describeGoesOut, whenModesGoOut } from "../quiet_hours.ts";
import { describeSchedule, type Occurrence, occurrences } from "../recurrence.ts";
import type { Draft } from "../store/drafts.ts";
import type { Db } from "../store/kv.ts";
import { listPeopleInSchool } from "../store/people.ts";
import { RecipientsForm, type Step } from "./forms.ts";
import { buildSendOptions } from "./send_options.ts";
import { keptOutsideQuietHours, usableCalendar, type WizardContext } from "./steps.ts";
import { draftAsMessage, type LanguagesShown, languagesShown } from "./languages.ts";
import { providerName } from "./translate_step.ts";

export interface MergeSample {
  name: string;
  /** The preview's language, as said after the name: "in Spanish"; "" when there is nothing to tell. */
  inLanguage: string;
  fields: Record<string, string>;
  /** Each field filled in, in its language (a tag), with why it is not the recipient's when it is not. */
  rendered: Partial<Record<"subject" | "emailText" | "text" | "voice" | "inbox", RenderedField>>;
}

export interface RenderedField {
  text: string;
  language: string;
  note?: string;
}

export interface StepExtras {
  preview?: RecipientPreview | null;
  found?: Person[];
  chosen?: Person[];
  mergeSample?: MergeSample | null;
  upcoming?: Occurrence[];
  patternText?: string;
  /** When each mode of the next delivery actually goes out, quiet hours counted, in words; held for them or not. */
  goesOut?: { mode: string; when: string; waits: boolean }[];
  /** The district's quiet hours, as the sender is told them. */
  quietHours?: Record<"text" | "voice", DailyWindow>;
  /** The recipients' languages, those ticked, and which are stale. */
  languages?: LanguagesShown;
  /** Machine translation: the provider's name and the ticked languages it does not translate into; unset: none. */
  translation?: { provider: string; unsupported: string[] };
}

/** Everything a step needs besides the draft. */
export async function stepExtras(
  { db, user, district, now, translator }: WizardContext,
  draft: Draft,
  step: Step,
): Promise<StepExtras> {
  const usable = await usableCalendar(db, user, draft);
  if (step === "recipients") return recipientsShown(db, draft, usable);
  if (step === "content" && usable) {
    const languages = await languagesShown(db, draft, usable, district);
    return {
      mergeSample: await mergeSample(db, district, draft, usable),
      languages,
      translation: translator && {
        provider: providerName(translator),
        unsupported: languages.offered.filter((t) => !translator.supports(t)),
      },
    };
  }
  if (step === "send") return nextDeliveries(user, district, draft, usable, now);
  return {};
}

async function recipientsShown(db: Db, draft: Draft, usable: Calendar | null): Promise<StepExtras> {
  const recipients = { ...draft.recipients, types: draft.recipients.types.filter((t) => t !== "") };
  const selection = RecipientsForm.parse(recipients);
  const preview = usable && selection.types.length
    ? await previewRecipients(db, {
      recipients: { ...selection, types: selection.types as never },
      modes: ["inbox", "email", "text", "voice"],
      // Typed in step 3 and not yet checked: "constructor" would index a device's prototype.
      type: MessageType.safeParse(draft.send.type).data ?? "general",
    }, usable)
    : null;
  const chosen = usable ? (await chosenIndividuals(db, draft.recipients.personIds, usable)).people : [];
  let found: Person[] = [];
  const needle = draft.recipients.find.trim().toLowerCase();
  if (usable && needle.length >= 2) {
    for (const kind of ["student", "guardian", "staff"] as const) {
      for (const p of await listPeopleInSchool(db, usable.schoolId, kind)) {
        if (`${p.firstName} ${p.lastName}`.toLowerCase().includes(needle)) found.push(p);
      }
    }
    found = found.slice(0, 25);
  }
  return { preview, chosen, found };
}

/**
 * The content as the first recipient would get it, in their language (the
 * draft's translation for it, as dispatch would choose: services/preview_language.ts),
 * with each merge field's value for them.
 */
async function mergeSample(db: Db, district: District, draft: Draft, usable: Calendar): Promise<MergeSample | null> {
  const sample = await sampleRecipient(
    db,
    {
      recipients: { ...draft.recipients, types: draft.recipients.types as never },
    },
    usable,
    district,
  );
  if (!sample) return null;
  const { merge } = sample;
  const fields: Record<string, string> = {};
  for (const [f, def] of MERGE_FIELDS) {
    if (!def.needsStudent || merge.students.length) fields[f] = def.value(merge);
  }
  const preview = previewIn(draftAsMessage(draft, district), sample.recipient.person.language, district);
  const rendered: MergeSample["rendered"] = {};
  const texts = { subject: preview.subject, ...preview.content };
  for (const f of ["subject", "emailText", "text", "voice", "inbox"] as const) {
    if (!texts[f].trim()) continue;
    const mode = f === "subject" ? undefined : f === "emailText" ? "email" : f;
    let text: string;
    try {
      text = renderMerge(texts[f], merge);
    } catch (e) {
      if (!(e instanceof MergeFieldError)) throw e;
      text = `Cannot be filled: {{${e.field}}}`;
    }
    rendered[f] = {
      text,
      language: (mode && preview.modeLanguage[mode]) ?? preview.language,
      note: mode && preview.notes[mode],
    };
  }
  return {
    name: `${merge.recipient.firstName} ${merge.recipient.lastName}`,
    inLanguage: preview.inLanguage,
    fields,
    rendered,
  };
}

function nextDeliveries(
  user: User,
  district: District,
  draft: Draft,
  usable: Calendar | null,
  now: number,
): StepExtras {
  const built = buildSendOptions(draft.send, draft.content, user, district, usable, now, keptOutsideQuietHours(draft));
  // The quiet hours are shown whatever is typed: they are the district's rule, not this message's.
  const quietHours = { text: district.textWindow, voice: district.dialingWindow };
  if ("errors" in built) return { quietHours };
  const upcoming = occurrences(built.schedule, {
    from: now,
    limit: 5,
    timeZone: district.timeZone,
    calendar: usable ?? undefined,
    includeSkipped: true,
  });
  // Send Now goes at once; a scheduled message at its first delivery, each mode at its own time.
  const first = built.sendNow
    ? Object.fromEntries(built.modes.map((m) => [m, now]))
    : upcoming.find((o) => !o.skipped)?.times;
  return {
    upcoming,
    patternText: built.sendNow ? "Sends as soon as you press Send." : describeSchedule(built.schedule),
    goesOut: first
      ? whenModesGoOut(district, built, first).map((g) => ({
        ...describeGoesOut(g, now, district.timeZone),
        waits: g.quiet === "waits",
      }))
      : undefined,
    quietHours,
  };
}
