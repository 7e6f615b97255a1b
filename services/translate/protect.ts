/**
 * What a translation provider must not change, kept from it. Every field
 * goes to the provider as HTML, so one markup protects all of them: each
 * merge field, web address and email address is wrapped in
 * `<span translate="no">…</span>` (DeepL and Google both leave such an
 * element untranslated), and the email's own tags and links are HTML the
 * provider keeps as it is. A plain-text field is escaped and its line
 * breaks become `<br>`, then it is read back the other way. What the
 * provider returns is checked afterwards (check.ts): protection makes a
 * lost merge field unlikely, the check makes it never sent.
 */

/** The element a provider leaves untranslated; a mock that stands for one must keep it too. */
export const KEEP_OPEN = '<span translate="no">';
export const KEEP_CLOSE = "</span>";

/**
 * A merge field, a web address (its trailing punctuation left outside, so
 * "see https://x.org." keeps its full stop), or an email address. Braces
 * end an address: `https://x.org/?n={{student.firstName}}` is an address
 * and a merge field, each kept.
 */
const KEPT =
  /\{\{[^{}]*\}\}|\b(?:https?:\/\/|www\.)[^\s<>"'{}]*[^\s<>"'{}.,;:!?)\]]|[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}/g;

const escapeText = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Wraps what must be kept in a run of text; `escape` applies to every character that is not markup. */
function keep(text: string, escape: (s: string) => string): string {
  let out = "";
  let at = 0;
  for (const m of text.matchAll(KEPT)) {
    out += escape(text.slice(at, m.index)) + KEEP_OPEN + escape(m[0]) + KEEP_CLOSE;
    at = m.index + m[0].length;
  }
  return out + escape(text.slice(at));
}

/** A plain-text field (subject, text, voice, inbox, the email's plain part) as the HTML sent for translation. */
export function protectText(text: string): string {
  return keep(text.replaceAll("\r\n", "\n"), escapeText).replaceAll("\n", "<br>");
}

/** The email's HTML (sanitized) with what must be kept wrapped; tags and their attributes are left as they are. */
export function protectHtml(html: string): string {
  return html.split(/(<[^>]*>)/).map((part, i) => (i % 2 === 1 ? part : keep(part, (s) => s))).join("");
}

/** A kept element as any provider may give it back: the attribute quoted either way or not, spaces added. */
const KEPT_ELEMENT = /<span\b[^>]*\btranslate\s*=\s*["']?no["']?[^>]*>([\s\S]*?)<\/span\s*>/gi;

/** The translated email's HTML with the kept elements unwrapped. */
export function restoreHtml(html: string): string {
  return html.replaceAll(KEPT_ELEMENT, "$1");
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** Character references as text: named ones a provider writes, and numeric ones (a no-break space as a space). */
export function decodeEntities(s: string): string {
  return s.replaceAll(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== "#") return ENTITIES[ref.toLowerCase()] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (code === 0xa0) return " ";
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * A translated plain-text field back as text: kept elements unwrapped,
 * `<br>` as line breaks, any markup the provider added dropped, references
 * decoded. A no-break space becomes a space: in a text message it would
 * cost the cheaper encoding.
 */
export function restoreText(html: string): string {
  return decodeEntities(
    restoreHtml(html).replaceAll(/<br\s*\/?>/gi, "\n").replaceAll(/<\/(p|div)>\s*(?=.)/gi, "\n").replaceAll(
      /<[^>]*>/g,
      "",
    ),
  ).replaceAll("\u00a0", " ");
}
