/**
 * The Content step's language buttons: Translate (one language), Translate
 * all (every ticked language the provider has), and "It is up to date"
 * (a stale translation checked by staff). A translation replaces that
 * language's fields and is kept in the draft even when a field lost or
 * added a merge field or a link: the step names the field, and Next and
 * Send refuse it until it is corrected, so it is seen and never sent.
 */
import { TranslateError, type Translator } from "../translate/translator.ts";
import { translateContent, TRANSLATED_FIELDS } from "../translate/translate_content.ts";
import { defaultLanguage, staffLanguageName } from "../translate/recipient_language.ts";
import { sourceHash } from "../translate/source_hash.ts";
import type { District } from "../model.ts";
import type { Draft } from "../store/drafts.ts";
import type { Errors } from "./errors.ts";
import { fieldLabel, fieldName, fitsOneValue, hasContent, languageCheck, languagesShown } from "./languages.ts";
import { usableCalendar, type WizardContext } from "./steps.ts";

export const TRANSLATE = "translate:";
export const TRANSLATE_ALL = "translate-all";
export const MARK_UP_TO_DATE = "up-to-date:";

export function isLanguageAction(go: string): boolean {
  return go === TRANSLATE_ALL || go.startsWith(TRANSLATE) || go.startsWith(MARK_UP_TO_DATE);
}

/** A provider's name as staff know it. */
export function providerName(translator: Pick<Translator, "name">): string {
  return { deepl: "DeepL", google: "Google Cloud Translation" }[translator.name] ?? translator.name;
}

export interface LanguageActionOutcome {
  errors: Errors;
  status: number;
  /** What was done, said above the form. */
  notice?: string;
}

/** Why the provider could not translate, in words that say what to do; the draft is kept whatever it was. */
function providerFailure(e: TranslateError, provider: string, language: string): string {
  const kept = "Your message and its translations so far are kept.";
  if (e.reason === "quota") {
    return `${provider}'s translation allowance is used up, so ${language} was not translated: type it, or try again ` +
      `when the allowance renews. ${kept}`;
  }
  if (e.reason === "refused") {
    return `${provider} refused to translate into ${language} (${e.message.slice(0, 200)}): ask an administrator to ` +
      `check the translation settings, or type it. ${kept}`;
  }
  return `${provider} could not be reached to translate into ${language}: try again in a few minutes, or type it. ${kept}`;
}

/** Runs a language button on the draft (its form already absorbed). */
export async function languageAction(
  translator: Translator | undefined,
  known: (tag: string) => Promise<string | null>,
  district: District,
  draft: Draft,
  go: string,
  /** The languages ticked, as the step shows them: Translate all's. */
  ticked: string[],
): Promise<LanguageActionOutcome> {
  const original = staffLanguageName(defaultLanguage(district));
  const tag = go === TRANSLATE_ALL ? null : await known(go.slice(go.indexOf(":") + 1));
  if (go !== TRANSLATE_ALL && !tag) {
    return {
      errors: { languages: `Languages: ${go.slice(0, 60)} does not name a language Messenger knows` },
      status: 400,
    };
  }
  if (go.startsWith(MARK_UP_TO_DATE)) {
    const t = draft.translations[tag!];
    if (!hasContent(t)) return { errors: {}, status: 200 };
    t.sourceHash = sourceHash(draft.content);
    return {
      errors: {},
      status: 200,
      notice: `${staffLanguageName(tag!)} is marked as up to date with the ${original}.`,
    };
  }
  if (!translator) {
    return {
      errors: {
        translate:
          `No machine translation is set up: type the translations, or the language falls back to ${original}.`,
      },
      status: 400,
    };
  }
  const provider = providerName(translator);
  if (TRANSLATED_FIELDS.every((f) => !draft.content[f].trim())) {
    return {
      errors: { translate: `Write the message in ${original} first: there is nothing to translate yet.` },
      status: 400,
    };
  }
  if (tag && !translator.supports(tag)) {
    return {
      errors: {
        translate: `${provider} does not translate into ${
          staffLanguageName(tag)
        }: type it, or its recipients get ${original}.`,
      },
      status: 400,
    };
  }
  const targets = tag ? [tag] : ticked.filter((t) => translator.supports(t));
  if (!targets.length) {
    return { errors: { translate: `Tick a language ${provider} translates into first.` }, status: 400 };
  }
  const errors: Errors = {};
  const done: string[] = [];
  let providerFailed = false;
  const hash = sourceHash(draft.content);
  for (const target of targets) {
    let translated;
    try {
      translated = await translateContent(translator, draft.content, {
        source: defaultLanguage(district),
        target,
      });
    } catch (e) {
      if (!(e instanceof TranslateError)) throw e;
      errors.translate = providerFailure(e, provider, staffLanguageName(target));
      providerFailed = true;
      break;
    }
    const before = draft.translations[target];
    draft.translations[target] = { ...translated.fields, sourceHash: hash, machine: true };
    if (!fitsOneValue(draft)) {
      if (before) draft.translations[target] = before;
      else delete draft.translations[target];
      errors.translate = `The ${staffLanguageName(target)} translation does not fit with the message and its other ` +
        `languages: shorten the message, or untick a language.`;
      break;
    }
    // Translated is chosen: ticked now if it was not (its button is there while it is listed).
    if (!draft.languages?.includes(target)) draft.languages = [...draft.languages ?? [], target];
    done.push(staffLanguageName(target));
    for (const [field, problems] of Object.entries(translated.problems)) {
      const f = field as keyof typeof translated.problems;
      errors[fieldName(target, f)] = `${fieldLabel(target, f)}: the translation ${problems!.join("; ")}. Correct it ` +
        `below, or press Translate again.`;
    }
  }
  const notice = done.length
    ? `Translated into ${done.join(", ")} by ${provider}: read ${
      done.length > 1 ? "them" : "it"
    } through before sending.`
    : undefined;
  return { errors, status: providerFailed ? 502 : Object.keys(errors).length ? 400 : 200, notice };
}

/** A language button pressed on the Content step, the form as posted already in the draft. */
export async function pressLanguageButton(
  ctx: WizardContext,
  draft: Draft,
  go: string,
): Promise<LanguageActionOutcome> {
  const calendar = await usableCalendar(ctx.db, ctx.user, draft);
  const known = languageCheck(ctx.db, draft, calendar, ctx.district);
  const ticked = go === TRANSLATE_ALL && calendar
    ? (await languagesShown(ctx.db, draft, calendar, ctx.district)).ticked
    : draft.languages ?? [];
  return languageAction(ctx.translator, known, ctx.district, draft, go, ticked);
}
