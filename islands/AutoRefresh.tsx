/**
 * Refreshes parts of a server-rendered page in place every interval, showing
 * a three-dots graphic while it loads. It waits while the tab is hidden and
 * catches up as soon as the tab is seen again. It stops once the fresh page
 * no longer asks to be refreshed (a run that has finished).
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";

export interface AutoRefreshProps {
  /** Ids of the elements to replace with the same elements from the fresh page. */
  targets: string[];
  intervalMs: number;
  /** The district's time zone: "Updated" reads in the same clock as every other time on the page. */
  timeZone: string;
}

declare const htmx: { process(el: Element): void } | undefined;

export default function AutoRefresh({ targets, intervalMs, timeZone }: AutoRefreshProps) {
  const loading = useSignal(false);
  const updated = useSignal("");
  const root = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    // The page's reload for browsers without JavaScript (ReloadWithoutScript) must not outlive hydration:
    // htmx keeps the page for Back and parses it again with scripting off, which would bring the reload to life.
    for (const fallback of document.querySelectorAll("noscript[data-reload]")) fallback.remove();
    let last = Date.now();
    let running = false;
    const refresh = async () => {
      // htmx may have swapped this island out with the list around it.
      if (root.current && !root.current.isConnected) return stop();
      if (running || document.hidden) return;
      running = true;
      loading.value = true;
      try {
        const res = await fetch(location.href, {
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
        });
        if (!res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        for (const id of targets) {
          const fresh = doc.getElementById(id);
          const current = document.getElementById(id);
          if (!fresh || !current) continue;
          current.replaceWith(fresh);
          if (typeof htmx !== "undefined") htmx.process(fresh);
        }
        updated.value = new Date().toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", timeZone });
        if (!doc.querySelector('[data-island="AutoRefresh"]')) stop();
      } catch {
        // Offline for a moment: the next tick tries again.
      } finally {
        last = Date.now();
        running = false;
        loading.value = false;
      }
    };
    const timer = setInterval(refresh, intervalMs);
    const onVisible = () => {
      if (!document.hidden && Date.now() - last >= intervalMs) refresh();
    };
    const stop = () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
    document.addEventListener("visibilitychange", onVisible);
    return stop;
  }, [targets.join(" "), intervalMs, timeZone]);
  return (
    <span class="refresh-status" aria-live="polite" ref={root}>
      {loading.value
        ? (
          <span class="dots" role="img" aria-label="Refreshing">
            <i />
            <i />
            <i />
          </span>
        )
        : updated.value
        ? `Updated ${updated.value}`
        : `Refreshes every ${Math.round(intervalMs / 1000)} seconds`}
    </span>
  );
}
