/**
 * Provider error codes in plain words, for support, the status callbacks'
 * detail and the Recipient Report.
 */

/** A provider's words as keys: only our own entries, never Object.prototype's ("constructor"). */
export function lookUp<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A provider error code in plain words, for support and the Recipient Report. */
export function errorMeaning(code: string): string | undefined {
  return lookUp(ERROR_MEANING, code);
}

const ERROR_MEANING: Record<string, string> = {
  "21610": "recipient replied STOP",
  "21211": "not a valid phone number",
  "30003": "phone unreachable",
  "30005": "unknown or inactive number",
  "30006": "landline or unreachable carrier",
  "550": "the mail server says the address does not exist",
  "429": "the provider asked us to slow down",
  "20429": "the provider asked us to slow down",
};
