/** The browser entry: htmx, and hydration of every island on the page. */
import htmx from "htmx.org";
import { h, hydrate } from "preact";
import { type IslandName, islands } from "./mod.ts";

(globalThis as unknown as { htmx: typeof htmx }).htmx = htmx;

function mount(root: ParentNode) {
  for (const el of root.querySelectorAll<HTMLElement>("[data-island]")) {
    if (el.dataset.hydrated) continue;
    el.dataset.hydrated = "true";
    const component = islands[el.dataset.island as IslandName];
    if (component) {
      hydrate(h(component, JSON.parse(el.dataset.props ?? "{}")), el);
    }
  }
}

mount(document);
// htmx fires htmx:load on every piece of content it swaps in.
document.addEventListener("htmx:load", (e) => mount(e.target as HTMLElement));
