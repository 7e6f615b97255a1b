/**
 * The one interface between Messenger and a machine-translation provider
 * (DeepL or Google Cloud Translation, chosen by TRANSLATE_PROVIDER). The
 * wizard's Translate protects merge fields, links and markup before calling
 * it and checks them after (services/translate/ does both); a provider only
 * translates what it is given.
 */

export interface Translator {
  /** "deepl" or "google": shown to staff beside a machine translation. */
  name: string;
  /** Whether it translates into this language (an IETF tag such as "es" or "so"). */
  supports(target: string): boolean;
  /**
   * Each text in `target`, in order. `html`: the texts are HTML (and carry
   * markup the provider must keep); else plain text. `source`: the language
   * they are written in.
   */
  translate(texts: string[], options: { source: string; target: string; html: boolean }): Promise<string[]>;
}

/** A provider that could not translate: down, over its quota, or refusing the key or the language. */
export class TranslateError extends Error {
  constructor(message: string, readonly reason: "unavailable" | "quota" | "refused") {
    super(message);
    this.name = "TranslateError";
  }
}
