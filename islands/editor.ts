/**
 * The email editor behind the EmailEditor island, bundled apart as
 * static/build/editor.js. pell (1.4 KB gzipped) draws the toolbar and the
 * editable area with the browser's own editing commands; what goes in, typed
 * draft or paste, is first cut down to the formatting an email can carry.
 */
import pell from "pell";

/** Element → what it becomes; elements not listed give up their tag and keep their text. */
const KEEP: Record<string, string> = {
  p: "p",
  br: "br",
  b: "strong",
  strong: "strong",
  i: "em",
  em: "em",
  u: "u",
  ul: "ul",
  ol: "ol",
  li: "li",
  a: "a",
  h1: "h2",
  h2: "h2",
  h3: "h3",
  h4: "h3",
  blockquote: "blockquote",
  tr: "p",
};
/** Elements whose content is not text anyone meant to paste (Word sends its styles and XML along). */
const DROP = new Set([
  "script",
  "style",
  "meta",
  "link",
  "title",
  "head",
  "xml",
  "template",
  "iframe",
  "object",
  "svg",
]);
const BLOCKS = "p,div,ul,ol,h1,h2,h3,h4,h5,h6,blockquote,table";
const SAFE_HREF = /^(https?:|mailto:|tel:)/i;

function copyClean(from: Node, to: Node): void {
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.appendChild(document.createTextNode(node.textContent ?? ""));
      continue;
    }
    if (!(node instanceof Element) || DROP.has(node.localName)) continue;
    // A div of text is a paragraph (how Chrome and Outlook paste); a div of blocks is only a wrapper.
    const tag = node.localName === "div" && !node.querySelector(BLOCKS) ? "p" : KEEP[node.localName];
    if (!tag) {
      copyClean(node, to);
      if (node.localName === "td" || node.localName === "th") to.appendChild(document.createTextNode(" "));
      continue;
    }
    const el = document.createElement(tag);
    const href = node.getAttribute("href");
    if (tag === "a" && href && SAFE_HREF.test(href.trim())) el.setAttribute("href", href.trim());
    copyClean(node, el);
    to.appendChild(el);
  }
}

/** HTML cut down to paragraphs, headings, lists, links and bold / italic / underline, with no attribute but href. */
export function cleanHtml(html: string): string {
  const out = document.createElement("div");
  copyClean(new DOMParser().parseFromString(html, "text/html").body, out);
  return out.innerHTML;
}

/** A toolbar button: a short visible mark, its name for screen readers and the tooltip. */
function action(title: string, mark: string, result: () => void, state?: () => boolean) {
  return {
    title,
    icon: `<span aria-hidden="true">${mark}</span><span class="visually-hidden">${title}</span>`,
    result,
    state,
  };
}

const exec = (command: string, value?: string) => document.execCommand(command, false, value);
const isBlock = (tag: string) => () => document.queryCommandValue("formatBlock") === tag;

const ACTIONS = [
  action("Bold", "<b>B</b>", () => exec("bold"), () => document.queryCommandState("bold")),
  action("Italic", "<i>I</i>", () => exec("italic"), () => document.queryCommandState("italic")),
  action("Heading", "Heading", () => exec("formatBlock", "<h2>"), isBlock("h2")),
  action("Normal text", "Text", () => exec("formatBlock", "<p>"), isBlock("p")),
  action(
    "Bulleted list",
    "• List",
    () => exec("insertUnorderedList"),
    () => document.queryCommandState("insertUnorderedList"),
  ),
  action(
    "Numbered list",
    "1. List",
    () => exec("insertOrderedList"),
    () => document.queryCommandState("insertOrderedList"),
  ),
  action("Link", "Link", () => {
    const typed = globalThis.prompt("Link to (a web address or an email address)")?.trim();
    if (!typed) return;
    exec("createLink", SAFE_HREF.test(typed) ? typed : typed.includes("@") ? `mailto:${typed}` : `https://${typed}`);
  }),
];

/** Puts the editor in place of the text box, which it keeps filled for the form; returns how to undo it. */
export function mountEditor(textarea: HTMLTextAreaElement, hint: HTMLElement | null): () => void {
  const root = document.createElement("div");
  root.className = "rich-editor";
  textarea.before(root);
  const sync = (html: string) => (textarea.value = html);
  const { content } = pell.init({
    element: root,
    defaultParagraphSeparator: "p",
    onChange: sync,
    actions: ACTIONS,
  }) as HTMLElement & { content: HTMLDivElement };
  const toolbar = root.firstElementChild!;
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Email formatting");
  content.setAttribute("role", "textbox");
  content.setAttribute("aria-multiline", "true");
  content.setAttribute("aria-labelledby", `${textarea.id}-label`);
  for (const name of ["aria-describedby", "aria-invalid"]) {
    const value = textarea.getAttribute(name);
    if (value) content.setAttribute(name, value);
  }
  content.innerHTML = cleanHtml(textarea.value);
  content.addEventListener("paste", (e) => {
    const html = e.clipboardData?.getData("text/html");
    if (!html) return;
    e.preventDefault();
    exec("insertHTML", cleanHtml(html));
  });
  const before = hint?.textContent;
  if (hint) {
    hint.textContent = "Use the buttons for bold, italic, headings, lists and links. Text pasted from Word keeps " +
      "its paragraphs, lists and bold; other formatting is left out.";
  }
  textarea.hidden = true;
  return () => {
    root.remove();
    textarea.hidden = false;
    if (hint && before) hint.textContent = before;
  };
}
