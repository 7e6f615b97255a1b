/** Live character and segment count under the text message box. */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { countSegments, type SegmentCount } from "../services/segments.ts";

export interface SegmentCounterProps {
  /** Id of the textarea to follow. */
  target: string;
  initial: string;
}

/** The count in a sender's words: texts, not segments; "special characters", not an encoding. */
export function describeCount(c: SegmentCount): string {
  if (c.segments === 0) return "0 characters";
  const texts = c.segments === 1 ? "1 text" : `${c.segments} texts`;
  const room = `room for ${c.remaining} more${c.segments === 1 ? "" : " in the last"}`;
  const base = `${c.characters} characters: ${texts}, ${room}`;
  if (!c.nonGsm.length) return base;
  const sizes = c.segments === 1 ? "70 characters instead of 160" : "67 characters instead of 153";
  return `${base}. Special characters ${c.nonGsm.slice(0, 5).join(" ")} make each text shorter: ${sizes}`;
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
