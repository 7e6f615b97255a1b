import { h } from "preact";
import { type IslandName, islands } from "../islands/mod.ts";

/** Server-renders an island and marks it for hydration in the browser. */
export function Island(
  { name, props }: { name: IslandName; props: Record<string, unknown> },
) {
  const component = islands[name] as unknown as preact.FunctionComponent<
    Record<string, unknown>
  >;
  return (
    <div class="island" data-island={name} data-props={JSON.stringify(props)}>
      {h(component, props)}
    </div>
  );
}
