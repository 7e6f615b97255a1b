/** Email HTML as typed in step 2 becomes safe to send, and gives the plain-text part when none was typed. */
import sanitizeHtml from "sanitize-html";

const ALLOWED_TAGS = [
  "p",
  "br",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "s",
  "a",
  "ul",
  "ol",
  "li",
  "h1",
  "h2",
  "h3",
  "h4",
  "blockquote",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "hr",
  "span",
  "div",
];

/** Email HTML as it may go out: no scripts, handlers, styles or javascript: links. */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: { a: ["href", "title"], td: ["colspan", "rowspan"], th: ["colspan", "rowspan", "scope"] },
    allowedSchemes: ["http", "https", "mailto", "tel"],
    // The editor's Bold and Italic give <b> and <i>; mail readers and screen readers know <strong> and <em> best.
    transformTags: { b: "strong", i: "em" },
  });
}

/** The plain-text part of an email made from its HTML, when none was typed. */
export function htmlToText(html: string): string {
  return sanitizeHtml(html.replaceAll(/<\/(p|div|h\d|li|tr|blockquote)>|<br\s*\/?>/gi, "\n"), {
    allowedTags: [],
    allowedAttributes: {},
  }).replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll(/\n{3,}/g, "\n\n").trim();
}
