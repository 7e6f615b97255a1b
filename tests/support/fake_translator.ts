/**
 * A translation provider for tests, behaving as DeepL does with HTML: it
 * translates the words between tags and leaves `<span translate="no">`
 * elements and every tag as they are. Words come from a small dictionary
 * ("Spanish" whatever the target); `mangle` changes its answer to play a
 * provider that breaks something, `fail` makes every call throw.
 */
import { TranslateError, type Translator } from "../../services/translate/translator.ts";

const WORDS: Record<string, string> = {
  Dear: "Estimado",
  is: "está",
  in: "en",
  the: "la",
  fair: "feria",
  Science: "Ciencia",
  Friday: "viernes",
  for: "para",
  Picture: "Foto",
  day: "día",
  reminder: "recordatorio",
  See: "Vea",
  Hello: "Hola",
};

export class FakeTranslator implements Translator {
  name = "deepl";
  calls: { texts: string[]; source: string; target: string; html: boolean }[] = [];
  constructor(
    private options: {
      unsupported?: string[];
      mangle?: (html: string) => string;
      fail?: TranslateError;
    } = {},
  ) {}

  supports(target: string): boolean {
    return !(this.options.unsupported ?? []).includes(target);
  }

  translate(texts: string[], options: { source: string; target: string; html: boolean }): Promise<string[]> {
    this.calls.push({ texts, ...options });
    if (this.options.fail) return Promise.reject(this.options.fail);
    const mangle = this.options.mangle ?? ((s: string) => s);
    return Promise.resolve(texts.map((t) => mangle(translateWords(t))));
  }
}

/** The words outside tags and kept elements, through the dictionary. */
function translateWords(html: string): string {
  return html.split(/(<span translate="no">[\s\S]*?<\/span>|<[^>]*>)/).map((part, i) =>
    i % 2 === 1 ? part : part.replaceAll(/[A-Za-z]+/g, (w) => WORDS[w] ?? w)
  ).join("");
}

export { TranslateError };
