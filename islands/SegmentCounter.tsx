/** Live character and segment count under the text message box. */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { countSegments, type SegmentCount } from "../services/segments.ts";

export interface SegmentCounterProps {
  /** Id of the textarea to follow. */
  target: string;
  initial: string;
}

export function describeCount(c: SegmentCount): string {
  if (c.segments === 0) return "0 characters";
  const base = `${c.characters} characters, ${c.segments} segment${c.segments === 1 ? "" : "s"} (${c.encoding}), ` +
    `${c.remaining} left in this segment`;
  return c.nonGsm.length ? `${base}. ${c.nonGsm.slice(0, 5).join(" ")} need UCS-2: 70 per segment` : base;
}

export default function SegmentCounter({ target, initial }: SegmentCounterProps) {
  const text = useSignal(initial);
  useEffect(() => {
    const el = document.getElementById(target) as HTMLTextAreaElement | null;
    if (!el) return;
    const update = () => (text.value = el.value);
    el.addEventListener("input", update);
    update();
    return () => el.removeEventListener("input", update);
  }, [target]);
  const count = countSegments(text.value);
  return (
    <span class={count.segments > 1 ? "counter warn" : "counter"} aria-live="polite" id={`${target}-count`}>
      {describeCount(count)}
    </span>
  );
}
