/**
 * Refreshes a server-rendered list in place every interval, showing a
 * three-dots graphic while it loads. It waits while the tab is hidden and
 * catches up as soon as the tab is seen again.
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";

export interface AutoRefreshProps {
  /** Id of the element to replace with the same element from the fresh page. */
  target: string;
  intervalMs: number;
}

declare const htmx: { process(el: Element): void } | undefined;

export default function AutoRefresh({ target, intervalMs }: AutoRefreshProps) {
  const loading = useSignal(false);
  const updated = useSignal("");
  const root = useRef<HTMLSpanElement>(null);
  useEffect(() => {
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
        const doc = new DOMParser().parseFromString(
          await res.text(),
          "text/html",
        );
        const fresh = doc.getElementById(target);
        const current = document.getElementById(target);
        if (fresh && current) {
          current.replaceWith(fresh);
          if (typeof htmx !== "undefined") htmx.process(fresh);
          updated.value = new Date().toLocaleTimeString([], {
            hour: "numeric",
            minute: "2-digit",
          });
        }
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
  }, [target, intervalMs]);
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
