/**
 * HTML as markup to keep and text to translate, for a provider that cannot
 * be given the markup itself (DeepL into a language without its tag
 * handling): the tags, comments and every element marked `translate="no"`
 * or `class="notranslate"` (with all it holds) are kept as written, and each
 * stretch of text between them is translated on its own as plain text.
 */

export type Part = { keep: string } | { text: string };

const TOKEN = /<!--[\s\S]*?(?:-->|$)|<\/?[A-Za-z][^>]*>?|[^<]+|</g;
const OPEN = /^<([A-Za-z][A-Za-z0-9-]*)(\s[^>]*)?>$/;
const VOID = new Set(["area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
const PROTECTED = /\stranslate\s*=\s*(["']?)no\1(?=[\s/>])|\sclass\s*=\s*(["'])[^"']*\bnotranslate\b[^"']*\2/i;
/** A stretch with nothing to translate (spaces, digits, punctuation between two tags) is kept too. */
const WORDS = /\p{L}/u;

/** The HTML in order: what to keep, and the text (entities decoded) to translate. */
export function splitHtml(html: string): Part[] {
  const parts: Part[] = [];
  const keep = (s: string) => {
    const last = parts.at(-1);
    if (last && "keep" in last) last.keep += s;
    else parts.push({ keep: s });
  };
  const tokens = html.match(TOKEN) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.startsWith("<") && token.length > 1) {
      const open = token.match(OPEN);
      if (open && PROTECTED.test(token) && !token.endsWith("/>") && !VOID.has(open[1].toLowerCase())) {
        // The element and everything in it, up to its own closing tag (or the end).
        const name = open[1].toLowerCase();
        let depth = 1;
        let kept = token;
        while (depth > 0 && ++i < tokens.length) {
          const t = tokens[i];
          if (new RegExp(`^<${name}[\\s>/]`, "i").test(t) && !t.endsWith("/>")) depth++;
          if (new RegExp(`^</${name}\\s*>$`, "i").test(t)) depth--;
          kept += t;
        }
        keep(kept);
      } else {
        keep(token);
      }
      continue;
    }
    const text = decodeEntities(token);
    const core = text.trim();
    if (!WORDS.test(core)) {
      keep(token);
      continue;
    }
    const lead = text.slice(0, text.length - text.trimStart().length);
    const trail = text.slice(text.trimEnd().length);
    if (lead) keep(escapeText(lead));
    parts.push({ text: core });
    if (trail) keep(escapeText(trail));
  }
  return parts;
}

/** The parts put back together with each text replaced by its translation, in order. */
export function joinHtml(parts: Part[], translations: string[]): string {
  let n = 0;
  return parts.map((p) => "keep" in p ? p.keep : escapeText(translations[n++])).join("");
}

export function textsOf(parts: Part[]): string[] {
  return parts.flatMap((p) => "text" in p ? [p.text] : []);
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name.toLowerCase()] ?? whole;
  });
}

function escapeText(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
