/** The RRULE subset Messenger writes and accepts (rrule itself is lenient and would ignore a typo). */

const DAY = "[+-]?[1-5]?(MO|TU|WE|TH|FR|SA|SU)";
const RULE_PART: Record<string, RegExp> = {
  FREQ: /^(DAILY|WEEKLY|MONTHLY|YEARLY)$/,
  INTERVAL: /^[1-9]\d{0,2}$/,
  COUNT: /^[1-9]\d{0,3}$/,
  BYDAY: new RegExp(`^${DAY}(,${DAY})*$`),
  BYMONTHDAY: /^-?([1-9]|[12]\d|3[01])(,-?([1-9]|[12]\d|3[01]))*$/,
  BYMONTH: /^([1-9]|1[0-2])(,([1-9]|1[0-2]))*$/,
  BYSETPOS: /^-?[1-5](,-?[1-5])*$/,
};

/** Checks an RRULE body against the supported subset; returns the reason it is not usable. */
export function ruleProblem(rule: string): string | undefined {
  const seen = new Set<string>();
  for (const part of rule.split(";")) {
    const [name, value = ""] = part.split("=");
    if (!(name in RULE_PART)) return `the pattern has an unsupported part "${name}"`;
    if (seen.has(name)) return `the pattern names ${name} twice`;
    seen.add(name);
    if (!RULE_PART[name].test(value)) {
      return name === "FREQ"
        ? "only daily, weekly, monthly and yearly patterns are supported"
        : `the pattern's ${name} value "${value}" cannot be read`;
    }
  }
  return seen.has("FREQ") ? undefined : "the pattern has no frequency (FREQ)";
}
