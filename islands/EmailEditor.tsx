/**
 * The email of step 2 as formatted text: bold, italic, headings, lists and
 * links from a toolbar, and what is pasted from Word cleaned up. Rendered on
 * the server as the HTML text box, which is what stays with JavaScript off
 * and what the form posts; the editor keeps it up to date. The server's
 * sanitizing stays the guard for whatever arrives.
 */
import { useEffect, useRef } from "preact/hooks";

export interface EmailEditorProps {
  /** The text box's id and name: the label points at it, the form posts it. */
  name: string;
  value: string;
  maxLength: number;
  invalid: boolean;
  /** Ids of what describes the field (its error), besides the hint this island shows. */
  describedBy?: string;
}

/**
 * The editor is a bundle of its own (scripts/build.ts), fetched only when
 * this island is on the page: the pages without an email box stay as light
 * as before.
 */
const EDITOR_BUNDLE = "/static/build/editor.js";

export default function EmailEditor({ name, value, maxLength, invalid, describedBy }: EmailEditorProps) {
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    let unmount: (() => void) | undefined;
    let gone = false;
    import(EDITOR_BUNDLE).then((editor: typeof import("./editor.ts")) => {
      if (!gone && box.current) unmount = editor.mountEditor(box.current, document.getElementById(`${name}-hint`));
    }).catch(() => {
      // Offline or blocked: the HTML text box still works.
    });
    return () => {
      gone = true;
      unmount?.();
    };
  }, [name]);
  return (
    <>
      <span class="hint" id={`${name}-hint`}>
        HTML is allowed: paragraphs, bold, lists, links. Scripts and styles are removed.
      </span>
      <textarea
        ref={box}
        id={name}
        name={name}
        rows={8}
        maxLength={maxLength}
        aria-invalid={invalid ? "true" : undefined}
        aria-describedby={[describedBy, `${name}-hint`].filter(Boolean).join(" ")}
        value={value}
      />
    </>
  );
}
