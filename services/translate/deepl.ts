/**
 * Machine translation by DeepL with its official client, deepl-node (it runs
 * under Deno: its axios goes through Deno's node:http). `serverUrl` points it
 * at a DeepL-compatible API elsewhere (tests); unset, deepl-node itself picks
 * api-free.deepl.com for a free key (ending ":fx") and api.deepl.com for the
 * others.
 *
 * Languages, as DeepL's "Languages supported" page lists them (its language
 * table, checked July 2026): Spanish, French, Portuguese, Russian, Korean,
 * Arabic, Chinese and English with tag handling; Vietnamese, Haitian Creole
 * and Tagalog as text-only languages (no tag handling, no glossaries); Somali
 * and Hmong not at all. DeepL's guide on translating large volumes allows 50
 * texts a request, and its API reference 128 KiB a request body.
 *
 * HTML goes with `tag_handling=html` (DeepL keeps the tags and leaves
 * elements marked `translate="no"` as they are). Into or from a text-only
 * language DeepL cannot be given markup, so the HTML's stretches of text are
 * translated as plain texts and put back between the markup, which then never
 * leaves Messenger (text_runs.ts): the structure is kept exactly, at the cost
 * of each stretch being translated without the rest of its sentence.
 *
 * deepl-node retries a 429 or a 5xx itself, with its own backoff (1 s, then
 * 1.6 s …): it does not read Retry-After, nor hand the response's headers
 * to us, so a 429 is retried at most `retries` times that way, then reported.
 */
import * as deepl from "deepl-node";
import { TranslateError, type Translator } from "./translator.ts";
import { joinHtml, splitHtml, textsOf } from "./text_runs.ts";
import { languageName } from "../languages.ts";

export interface DeeplOptions {
  apiKey: string;
  /** A DeepL-compatible API at another address; unset: DeepL's own, chosen by the key. */
  serverUrl?: string;
  /** Tries again after a 429, a 5xx or a reset connection, each after deepl-node's backoff. Default 2. */
  retries?: number;
  /** Each request's timeout. Default 20 s (a 12,000-character email takes DeepL a few seconds). */
  timeoutMs?: number;
}

/** Texts in one request: DeepL's limit. */
export const DEEPL_MAX_TEXTS = 50;
/** DeepL takes a request body of up to 128 KiB; the rest of the form (languages, options) fits in what is left. */
export const DEEPL_MAX_BODY = 128 * 1024 - 1024;

/** Languages DeepL translates from and into (its codes without a variant), lowercase. */
const LANGUAGES = new Set(
  ("ace af an ar as ay az ba be bg bho bn br bs ca ceb ckb cs cy da de el en eo es et eu fa fi fr ga gl gn gom gu " +
    "ha he hi hr ht hu hy id ig is it ja jv ka kk kmr ko ky la lb lmo ln lt lv mai mg mi mk ml mn mr ms mt my nb ne " +
    "nl oc om pa pag pam pl prs ps pt qu ro ru sa scn sk sl sq sr st su sv sw ta te tg th tk tl tn tr ts tt uk ur uz " +
    "vi wo xh yi yue zh zu").split(" "),
);
/** Those DeepL translates HTML in (tag handling); both languages of a request need it. */
const TAG_HANDLING = new Set(
  "ar bg cs da de el en es et fi fr hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv tr uk zh".split(" "),
);

interface Tag {
  language: string;
  script?: string;
  region?: string;
}

function parseTag(tag: string): Tag {
  const [language, ...rest] = tag.trim().split(/[-_]/);
  return {
    language: language.toLowerCase(),
    script: rest.find((s) => /^[A-Za-z]{4}$/.test(s))?.toLowerCase(),
    region: rest.find((s) => /^([A-Za-z]{2}|\d{3})$/.test(s))?.toUpperCase(),
  };
}

/**
 * DeepL's target code for a language tag, or undefined where DeepL has none.
 * English and Portuguese must name a variant (American, Brazilian unless the
 * tag says otherwise); Chinese is Simplified unless the tag says Traditional
 * (zh-Hant, or Taiwan, Hong Kong, Macau); Spanish is Latin American unless
 * the tag says Spain (most Spanish-speaking families in US schools are from
 * the Americas). DeepL's Swiss German and Canadian French are in beta ("not
 * intended for production", its docs say): plain German and French instead.
 */
export function deeplTarget(tag: string): string | undefined {
  const { language, script, region } = parseTag(tag);
  if (!LANGUAGES.has(language)) return undefined;
  switch (language) {
    case "en":
      return region === "GB" ? "en-GB" : "en-US";
    case "pt":
      return region === "PT" ? "pt-PT" : "pt-BR";
    case "zh":
      return script === "hant" || ["TW", "HK", "MO"].includes(region ?? "") ? "zh-HANT" : "zh-HANS";
    case "es":
      return region === "ES" ? "es" : "es-419";
    default:
      return language;
  }
}

/** DeepL's source code for a language tag: the language alone, or undefined where DeepL has none. */
export function deeplSource(tag: string): string | undefined {
  const { language } = parseTag(tag);
  return LANGUAGES.has(language) ? language : undefined;
}

export function deeplTranslator(options: DeeplOptions): Translator {
  const client = new deepl.Translator(options.apiKey, {
    serverUrl: options.serverUrl,
    // deepl-node's maxRetries is in effect its number of attempts (it stops once retries + 1 >= maxRetries).
    maxRetries: (options.retries ?? 2) + 1,
    minTimeout: options.timeoutMs ?? 20_000,
    sendPlatformInfo: false,
    appInfo: { appName: "Messenger", appVersion: "1" },
  });

  /** Each text in target, in as few requests as DeepL's limits allow; empty texts stay empty. */
  async function translateTexts(
    texts: string[],
    source: string,
    target: string,
    tagHandling: "html" | undefined,
  ): Promise<string[]> {
    const out = texts.map((t) => t);
    const todo = texts.flatMap((t, i) => t.trim() ? [i] : []);
    for (const batch of batches(todo.map((i) => texts[i]))) {
      const sent = batch.map((n) => texts[todo[n]]);
      let results: deepl.TextResult[];
      try {
        results = await client.translateText(
          sent,
          source as deepl.SourceLanguageCode,
          target as deepl.TargetLanguageCode,
          { tagHandling },
        );
      } catch (e) {
        throw translateError(e);
      }
      if (results.length !== sent.length || results.some((r) => typeof r.text !== "string")) throw unreadable();
      batch.forEach((n, k) => {
        out[todo[n]] = results[k].text;
      });
    }
    return out;
  }

  return {
    name: "deepl",
    supports: (target) => deeplTarget(target) !== undefined,
    async translate(texts, { source, target, html }) {
      const targetCode = deeplTarget(target);
      if (!targetCode) {
        throw new TranslateError(
          `DeepL does not translate into ${languageName(target)}: type this translation.`,
          "refused",
        );
      }
      const sourceCode = deeplSource(source);
      if (!sourceCode) {
        throw new TranslateError(`DeepL does not translate from ${languageName(source)}.`, "refused");
      }
      const tagAware = TAG_HANDLING.has(sourceCode) && TAG_HANDLING.has(parseTag(target).language);
      if (!html || tagAware) return translateTexts(texts, sourceCode, targetCode, html ? "html" : undefined);
      const split = texts.map(splitHtml);
      const runs = split.map(textsOf);
      const translated = await translateTexts(runs.flat(), sourceCode, targetCode, undefined);
      let at = 0;
      return split.map((parts, i) => joinHtml(parts, translated.slice(at, at += runs[i].length)));
    },
  };
}

/**
 * Consecutive groups (indexes into `texts`) within DeepL's limits on texts
 * and body size (deepl-node sends a form: each text as `&text=…`). A text
 * over the size limit alone goes by itself, and DeepL's 413 says so.
 */
export function batches(texts: string[]): number[][] {
  const out: number[][] = [];
  let size = 0;
  texts.forEach((text, i) => {
    const cost = new URLSearchParams({ text }).toString().length + 1;
    const current = out.at(-1);
    if (!current || current.length >= DEEPL_MAX_TEXTS || size + cost > DEEPL_MAX_BODY) {
      out.push([i]);
      size = cost;
    } else {
      current.push(i);
      size += cost;
    }
  });
  return out;
}

function unreadable(): TranslateError {
  return new TranslateError(
    "DeepL's answer could not be read: try Translate again in a few minutes, or type the translation.",
    "unavailable",
  );
}

/**
 * deepl-node's error as ours (anything else, such as its refusal of an
 * argument, is a mistake of ours and stays as it is). Its errors carry no status code: the class
 * says 403, 456 and 429; other statuses are in its message ("Bad request",
 * "Not found", "Service unavailable", "Unexpected status code: 500 …").
 */
function translateError(e: unknown): Error {
  if (e instanceof deepl.AuthorizationError) {
    return new TranslateError(
      "DeepL refused Messenger's API key: ask an administrator to check DEEPL_API_KEY. Until then, type the translation.",
      "refused",
    );
  }
  if (e instanceof deepl.QuotaExceededError) {
    return new TranslateError(
      "DeepL's translation quota for this billing period is used up: type the translation, or ask an administrator to raise " +
        "the quota in the DeepL account.",
      "quota",
    );
  }
  if (e instanceof deepl.TooManyRequestsError) {
    return new TranslateError("DeepL is busy (too many requests): try Translate again in a minute.", "unavailable");
  }
  if (e instanceof deepl.ConnectionError) {
    return new TranslateError(
      "DeepL could not be reached: try Translate again in a few minutes, or type the translation.",
      "unavailable",
    );
  }
  if (e instanceof deepl.DeepLError) {
    if (/^Error parsing response/.test(e.message)) return unreadable();
    const status = /^Bad request/.test(e.message)
      ? 400
      : /^Not found/.test(e.message)
      ? 404
      : /^Service unavailable/.test(e.message)
      ? 503
      : Number(e.message.match(/^Unexpected status code: (\d{3})/)?.[1] ?? 0);
    if (status >= 500) {
      return new TranslateError(
        `DeepL is not working right now (${status}): try Translate again in a few minutes, or type the translation.`,
        "unavailable",
      );
    }
    if (status >= 400) {
      const words = e.message.match(/message: (.*?)\.?(?:, content:|$)/)?.[1];
      return new TranslateError(
        `DeepL refused the request (${status}${words ? `: ${words}` : ""}). Type the translation.`,
        "refused",
      );
    }
  }
  return e instanceof Error ? e : new Error(String(e));
}
