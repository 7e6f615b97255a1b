/** A page that keeps itself current: in place with JavaScript, by reloading itself without. */
import { Island } from "./Island.tsx";

/** The AutoRefresh island: replaces `targets` with the same elements from the fresh page every `intervalMs`. */
export function Refreshing(
  { targets, intervalMs, timeZone }: { targets: string[]; intervalMs: number; timeZone: string },
) {
  return <Island name="AutoRefresh" props={{ targets, intervalMs, timeZone }} />;
}

/**
 * Without JavaScript a page that says it refreshes itself would be a promise nobody keeps: the browser reloads the
 * page instead. Render it outside anything htmx swaps, since htmx parses what it swaps in with scripting off and the
 * reload would come to life; on a page that htmx keeps for Back, the AutoRefresh island removes it as it starts.
 */
export function ReloadWithoutScript({ intervalMs }: { intervalMs: number }) {
  return (
    <noscript data-reload>
      <meta http-equiv="refresh" content={String(Math.round(intervalMs / 1000))} />
    </noscript>
  );
}
