/** Copies a value (the Message ID support asks for) with one click. Without JavaScript the value is plain text to select. */
import { useSignal } from "@preact/signals";

export default function CopyButton({ value, label }: { value: string; label: string }) {
  const copied = useSignal(false);
  return (
    <button
      type="button"
      class="secondary copy"
      onClick={async () => {
        await navigator.clipboard.writeText(value);
        copied.value = true;
        setTimeout(() => (copied.value = false), 2000);
      }}
    >
      {copied.value ? "Copied" : label}
    </button>
  );
}
