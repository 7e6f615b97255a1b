/**
 * A DeepL-compatible text translation API on loopback (`POST /v2/translate`),
 * for the official client (deepl-node's `serverUrl`) and the wizard's tests.
 *
 * It checks `Authorization: DeepL-Auth-Key <key>` (else 403) and the request
 * as DeepL documents it, in either of DeepL's encodings: a form (what
 * deepl-node sends: `text` repeated, `target_lang`, `source_lang`,
 * `tag_handling`, …) or JSON (`"text": [...]`). It answers in DeepL's shape,
 * `{"translations": [{"detected_source_language": "EN", "text": "…"}]}`, one
 * per text in order, and records every request (refused ones too).
 *
 * "Translating" is deterministic, so tests can say what comes back:
 * - a plain text becomes `[es] ` (the target's language, lowercase) followed
 *   by the text with each word found in MOCK_SPANISH replaced (into Spanish
 *   only; other languages get the marker alone). Every word, also inside
 *   `{{…}}`: an unprotected `{{student.firstName}}` comes back as
 *   `{{estudiante.firstName}}`, as a real translator may garble it.
 * - with `tag_handling=html` (or `xml`) tags, comments and entities stay as
 *   they are, the words of the text between them are replaced as above, the
 *   marker goes before the first text with a letter in it, and an element
 *   with `translate="no"` or `class="notranslate"` (DeepL's own markers; e.g.
 *   `<span translate="no">{{student.firstName}}</span>`) comes back exactly
 *   as sent, with what it holds, unless `protectedSpans` says otherwise:
 *   "drop" leaves such elements out, "unwrap" keeps what they hold without
 *   their tags, "translate" translates what they hold (so a merge field
 *   in one changes) and keeps the tags.
 *
 * Where DeepL's documentation says nothing the mock is stricter, or chooses,
 * and says so: `tag_handling` with a text-only language (DeepL's language
 * table gives Vietnamese, Haitian Creole, Tagalog … no tag handling) is a
 * 400; more than 50 texts, or a body over 128 KiB, is a 413; its refusals'
 * wording is its own.
 */

export interface DeeplRequest {
  encoding: "form" | "json";
  authorization: string | null;
  texts: string[];
  /** As sent (case kept). */
  targetLang?: string;
  sourceLang?: string;
  tagHandling?: string;
  /** Every field as sent, each with all its values. */
  fields: Record<string, string[]>;
  /** The status it answered. */
  status: number;
}

export interface DeeplMock {
  url: string;
  apiKey: string;
  requests: DeeplRequest[];
  /** What happens to elements marked translate="no" / class="notranslate" in HTML. Default "keep". */
  protectedSpans: "keep" | "drop" | "unwrap" | "translate";
  /** The next N translate requests (with a good key) answer this status; a 429 with Retry-After when given. */
  failNext(n: number, status: 403 | 429 | 456 | 500 | 503, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

/** The mock's Spanish: lowercase English word → its Spanish. */
export const MOCK_SPANISH: Readonly<Record<string, string>> = {
  hello: "hola",
  dear: "estimada",
  school: "escuela",
  is: "está",
  closed: "cerrada",
  open: "abierta",
  today: "hoy",
  tomorrow: "mañana",
  family: "familia",
  families: "familias",
  student: "estudiante",
  recipient: "destinatario",
  please: "por favor",
  bring: "traiga",
  coat: "abrigo",
  field: "campo",
  trip: "excursión",
  thank: "gracias",
  you: "usted",
  and: "y",
  snow: "nieve",
  day: "día",
};

/** DeepL's codes, lowercase, without variants (its language table). */
const LANGUAGES = new Set(
  ("ace af an ar as ay az ba be bg bho bn br bs ca ceb ckb cs cy da de el en eo es et eu fa fi fr ga gl gn gom gu " +
    "ha he hi hr ht hu hy id ig is it ja jv ka kk kmr ko ky la lb lmo ln lt lv mai mg mi mk ml mn mr ms mt my nb ne " +
    "nl oc om pa pag pam pl prs ps pt qu ro ru sa scn sk sl sq sr st su sv sw ta te tg th tk tl tn tr ts tt uk ur uz " +
    "vi wo xh yi yue zh zu").split(" "),
);
const TARGET_VARIANTS = new Set(["en-gb", "en-us", "es-419", "pt-br", "pt-pt", "zh-hans", "zh-hant", "de-ch", "fr-ca"]);
const TAG_HANDLING = new Set(
  "ar bg cs da de el en es et fi fr hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv tr uk zh".split(" "),
);
const MAX_TEXTS = 50;
const MAX_BODY = 128 * 1024;
const PROTECTED = /\stranslate\s*=\s*(["']?)no\1(?=[\s/>])|\sclass\s*=\s*(["'])[^"']*\bnotranslate\b[^"']*\2/i;

export function startDeeplMock(options: { apiKey?: string } = {}): DeeplMock {
  const apiKey = options.apiKey ?? "mock-deepl-key-0123456789";
  let failures: { n: number; status: number; retryAfter?: number } = { n: 0, status: 500 };
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path !== "/v2/translate") return json({ message: "Not found" }, 404);
    if (req.method !== "POST") return json({ message: "Method not allowed" }, 405);
    const bytes = new Uint8Array(await req.arrayBuffer());
    const body = new TextDecoder().decode(bytes);
    const isJson = (req.headers.get("Content-Type") ?? "").startsWith("application/json");
    const fields: Record<string, string[]> = {};
    try {
      if (isJson) {
        for (const [k, v] of Object.entries(JSON.parse(body) as Record<string, unknown>)) {
          fields[k] = (Array.isArray(v) ? v : [v]).map(String);
        }
      } else {
        for (const [k, v] of new URLSearchParams(body)) (fields[k] ??= []).push(v);
      }
    } catch {
      fields.unreadable = [body.slice(0, 200)];
    }
    const record: DeeplRequest = {
      encoding: isJson ? "json" : "form",
      authorization: req.headers.get("Authorization"),
      texts: fields.text ?? [],
      targetLang: fields.target_lang?.[0],
      sourceLang: fields.source_lang?.[0],
      tagHandling: fields.tag_handling?.[0],
      fields,
      status: 200,
    };
    mock.requests.push(record);
    const answer = (status: number, message: string, headers: Record<string, string> = {}) => {
      record.status = status;
      return json({ message }, status, headers);
    };

    if (record.authorization !== `DeepL-Auth-Key ${apiKey}`) return answer(403, "Authorization failure, check key");
    if (failures.n > 0) {
      failures.n--;
      const retry: Record<string, string> = failures.retryAfter === undefined
        ? {}
        : { "Retry-After": String(failures.retryAfter) };
      const words: Record<number, string> = {
        403: "Authorization failure, check key",
        429: "Too many requests",
        456: "Quota exceeded",
        500: "Internal server error",
        503: "Service unavailable",
      };
      return answer(failures.status, words[failures.status], failures.status === 429 ? retry : {});
    }
    if (bytes.length > MAX_BODY) return answer(413, "Request Entity Too Large");
    if (fields.unreadable) return answer(400, "The request body could not be read.");
    if (record.texts.length === 0) return answer(400, "Parameter 'text' not specified.");
    if (record.texts.length > MAX_TEXTS) return answer(413, `At most ${MAX_TEXTS} texts per request.`);
    const target = record.targetLang?.toLowerCase() ?? "";
    if (!LANGUAGES.has(target) && !TARGET_VARIANTS.has(target)) {
      return answer(400, "Value for 'target_lang' not supported.");
    }
    const source = record.sourceLang?.toLowerCase();
    if (source !== undefined && !LANGUAGES.has(source)) return answer(400, "Value for 'source_lang' not supported.");
    const tagHandling = record.tagHandling;
    if (tagHandling !== undefined && tagHandling !== "html" && tagHandling !== "xml") {
      return answer(400, "Value for 'tag_handling' not supported.");
    }
    const base = target.split("-")[0];
    if (tagHandling && (!TAG_HANDLING.has(base) || (source && !TAG_HANDLING.has(source)))) {
      return answer(400, `Tag handling is not supported for ${source?.toUpperCase() ?? "EN"} → ${base.toUpperCase()}.`);
    }
    const translate = (text: string) =>
      tagHandling ? translateHtml(text, base, mock.protectedSpans) : translatePlain(text, base);
    return json({
      translations: record.texts.map((text) => ({
        detected_source_language: (source ?? "en").toUpperCase(),
        text: translate(text),
        ...(fields.show_billed_characters?.[0] === "1" ? { billed_characters: [...text].length } : {}),
      })),
    });
  });

  const mock: DeeplMock = {
    url: `http://127.0.0.1:${server.addr.port}`,
    apiKey,
    requests: [],
    protectedSpans: "keep",
    failNext(n, status, retryAfterSeconds) {
      failures = { n, status, retryAfter: retryAfterSeconds };
    },
    close: () => server.shutdown(),
  };
  return mock;
}

/** Each word of the mock's dictionary in `language` (Spanish only), keeping a capital first letter. */
function words(text: string, language: string): string {
  if (language !== "es") return text;
  return text.replace(/\p{L}+/gu, (word) => {
    const spanish = MOCK_SPANISH[word.toLowerCase()];
    if (!spanish) return word;
    return word[0] !== word[0].toLowerCase() ? spanish[0].toUpperCase() + spanish.slice(1) : spanish;
  });
}

function translatePlain(text: string, language: string): string {
  return `[${language}] ${words(text, language)}`;
}

function translateHtml(html: string, language: string, spans: DeeplMock["protectedSpans"]): string {
  const tokens = html.split(/(<!--[\s\S]*?-->|<[^>]*>)/).filter(Boolean);
  let marked = false;
  let out = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token.startsWith("<")) {
      let text = words(token, language);
      if (!marked && /\p{L}/u.test(text)) {
        text = text.replace(/^(\s*)/, `$1[${language}] `);
        marked = true;
      }
      out += text;
      continue;
    }
    const open = token.match(/^<([A-Za-z][A-Za-z0-9-]*)[\s>]/);
    if (!open || !PROTECTED.test(token) || token.endsWith("/>")) {
      out += token;
      continue;
    }
    const name = open[1].toLowerCase();
    const inside: string[] = [];
    let close = "";
    for (let depth = 1; depth > 0 && ++i < tokens.length;) {
      const t = tokens[i];
      if (new RegExp(`^<${name}[\\s>]`, "i").test(t)) depth++;
      if (new RegExp(`^</${name}\\s*>$`, "i").test(t)) depth--;
      if (depth > 0) inside.push(t);
      else close = t;
    }
    const held = inside.join("");
    if (spans === "keep") out += token + held + close;
    else if (spans === "unwrap") out += held;
    else if (spans === "translate") {
      out += token + inside.map((t) => t.startsWith("<") ? t : words(t, language)).join("") + close;
    }
  }
  return out;
}
