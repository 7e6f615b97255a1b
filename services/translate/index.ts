/**
 * The Translator configuration asks for: DeepL, or none (no machine
 * translation: staff type each language, or it falls back to the district's
 * language). Google Cloud Translation would be a second implementation of
 * the same interface, chosen here.
 */
import type { Translator } from "./translator.ts";
import { deeplTranslator } from "./deepl.ts";

export interface TranslateSettings {
  /** TRANSLATE_PROVIDER: unset is "none". */
  provider?: "deepl" | "none";
  deeplApiKey?: string;
  deeplServerUrl?: string;
}

export function buildTranslator(settings: TranslateSettings): Translator | undefined {
  if (settings.provider !== "deepl") return undefined;
  if (!settings.deeplApiKey) throw new Error("TRANSLATE_PROVIDER=deepl needs DEEPL_API_KEY");
  return deeplTranslator({ apiKey: settings.deeplApiKey, serverUrl: settings.deeplServerUrl });
}
