/**
 * The languages Messenger offers families and translates messages into,
 * each named in itself; providers' own codes for them live with each
 * provider (the translation client, the voice).
 */

/** The languages a family can pick, each named in itself; "" is no preference. */
export const LANGUAGES: readonly { code: string; name: string }[] = [
  { code: "", name: "No preference (English)" },
  { code: "en", name: "English" },
  { code: "es", name: "Español (Spanish)" },
  { code: "so", name: "Soomaali (Somali)" },
  { code: "hmn", name: "Hmoob (Hmong)" },
  { code: "vi", name: "Tiếng Việt (Vietnamese)" },
  { code: "ar", name: "العربية (Arabic)" },
  { code: "zh", name: "中文 (Chinese)" },
  { code: "fr", name: "Français (French)" },
  { code: "ht", name: "Kreyòl ayisyen (Haitian Creole)" },
  { code: "pt", name: "Português (Portuguese)" },
  { code: "ru", name: "Русский (Russian)" },
  { code: "ko", name: "한국어 (Korean)" },
  { code: "tl", name: "Tagalog" },
];

/** A language's name for staff and families: the table's, else the tag itself. */
export function languageName(tag: string): string {
  const base = tag.toLowerCase();
  return LANGUAGES.find((l) => l.code === base)?.name ?? LANGUAGES.find((l) => l.code === base.split("-")[0])?.name ??
    tag;
}
