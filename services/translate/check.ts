/**
 * Whether a translation kept what must not change: the merge fields and
 * the links of its source, and for the email its formatting. Run on what
 * the provider returns (Translate) and on every translation at Next and
 * Send, so a lost or invented merge field or link is never sent.
 */
import { mergeFieldsIn } from "../merge.ts";
import { decodeEntities } from "./protect.ts";

const ADDRESS = /\b(?:https?:\/\/|www\.)[^\s<>"'{}]*[^\s<>"'{}.,;:!?)\]]/g;
const HREF = /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;

/** The links of a field: web addresses in its text and, in HTML, every link's target. Sorted, each once. */
export function linksIn(text: string, html: boolean): string[] {
  const links = new Set<string>();
  const words = html ? text.replaceAll(/<[^>]*>/g, " ") : text;
  for (const m of decodeEntities(words).matchAll(ADDRESS)) links.add(m[0]);
  if (html) { for (const m of text.matchAll(HREF)) links.add(decodeEntities(m[1] ?? m[2] ?? m[3])); }
  return [...links].sort();
}

/** How many of each element an HTML text has: the email's formatting, whatever order the words now take. */
function elementCounts(html: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of html.matchAll(/<([a-z][a-z0-9]*)\b/gi)) {
    const tag = m[1].toLowerCase();
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}

const ELEMENT_WORDS: Record<string, string> = {
  p: "paragraphs",
  li: "list items",
  a: "links",
  strong: "bold passages",
  em: "italic passages",
  br: "line breaks",
};

/**
 * What a translation did to its source, in words ("lost {{student.firstName}}",
 * "added the link https://…"); empty when it kept everything. `formatting`:
 * also compare the HTML elements (the provider's output, not staff's edits,
 * which may format as they like).
 */
export function translationProblems(
  source: string,
  translated: string,
  options: { html: boolean; formatting?: boolean },
): string[] {
  const problems: string[] = [];
  const compare = (before: string[], after: string[], say: (x: string) => string) => {
    const lost = before.filter((x) => !after.includes(x));
    const added = after.filter((x) => !before.includes(x));
    if (lost.length) problems.push(`lost ${lost.map(say).join(", ")}`);
    if (added.length) problems.push(`added ${added.map(say).join(", ")}, which the original does not have`);
  };
  compare(mergeFieldsIn(source), mergeFieldsIn(translated), (f) => `{{${f}}}`);
  compare(linksIn(source, options.html), linksIn(translated, options.html), (l) => `the link ${l}`);
  if (options.html && options.formatting) {
    const [before, after] = [elementCounts(source), elementCounts(translated)];
    const changed = [...new Set([...before.keys(), ...after.keys()])]
      .filter((tag) => (before.get(tag) ?? 0) !== (after.get(tag) ?? 0))
      .map((tag) => `${ELEMENT_WORDS[tag] ?? `<${tag}> elements`} ${before.get(tag) ?? 0} → ${after.get(tag) ?? 0}`);
    if (changed.length) problems.push(`changed the formatting (${changed.join(", ")})`);
  }
  return problems;
}
