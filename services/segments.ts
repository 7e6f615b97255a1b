/**
 * SMS length as carriers count it. GSM-7 fits 160 characters in one
 * segment and 153 per segment once split (the rest carries the join
 * header); a single character outside GSM-7 switches the whole text to
 * UCS-2: 70, then 67 per segment. Extension characters (€, [, ], {, }, …)
 * take two GSM-7 septets.
 */

const GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION = "\f^{}\\[~]|€";
const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export interface SegmentCount {
  encoding: "GSM-7" | "UCS-2";
  /** Characters as the phone shows them. */
  characters: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) used. */
  units: number;
  segments: number;
  /** Units left before another segment is needed. */
  remaining: number;
  /** Characters that forced UCS-2, for the "why is this 70?" hint. */
  nonGsm: string[];
}

export function countSegments(text: string): SegmentCount {
  let septets = 0;
  const nonGsm = new Set<string>();
  for (const ch of text) {
    if (basic.has(ch)) septets += 1;
    else if (extension.has(ch)) septets += 2;
    else nonGsm.add(ch);
  }
  const characters = [...text].length;
  if (nonGsm.size === 0) {
    const segments = septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153);
    const capacity = segments <= 1 ? 160 : segments * 153;
    return { encoding: "GSM-7", characters, units: septets, segments, remaining: capacity - septets, nonGsm: [] };
  }
  const units = text.length;
  const segments = units <= 70 ? 1 : Math.ceil(units / 67);
  const capacity = segments <= 1 ? 70 : segments * 67;
  return { encoding: "UCS-2", characters, units, segments, remaining: capacity - units, nonGsm: [...nonGsm] };
}
