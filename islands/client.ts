/** The browser entry: htmx, and hydration of every island on the page. */
import htmx from "htmx.org";
import { type FunctionComponent, h, hydrate } from "preact";
import { type IslandName, islands } from "./mod.ts";

(globalThis as unknown as { htmx: typeof htmx }).htmx = htmx;

// Elements, not markers in the DOM: a page htmx restores from its history
// cache is new DOM, so its islands are hydrated again.
const hydrated = new WeakSet<Element>();

function mount(root: ParentNode) {
  for (const el of root.querySelectorAll<HTMLElement>("[data-island]")) {
    if (hydrated.has(el)) continue;
    hydrated.add(el);
    // Props come from the server's JSON, typed by the island they were rendered for.
    const component = islands[el.dataset.island as IslandName] as unknown as FunctionComponent<Record<string, unknown>>;
    if (component) hydrate(h(component, JSON.parse(el.dataset.props ?? "{}")), el);
  }
}

mount(document);
// htmx fires htmx:load on every piece of content it swaps in.
document.addEventListener("htmx:load", (e) => mount(e.target as HTMLElement));
document.addEventListener("htmx:historyRestore", () => mount(document));
