/**
 * Merge fields such as {{student.firstName}}. The set is closed: a field
 * Messenger does not know is an error when the message is saved, never a
 * blank in front of a family.
 */
import type { District, Person, School } from "./model.ts";

export interface MergeContext {
  recipient: Person;
  /** The students a copy is about (a guardian's children, or the student). */
  students: Person[];
  school: School;
  district: District;
}

const names = (people: Person[], pick: (p: Person) => string) => {
  const values = people.map(pick);
  return values.length <= 2 ? values.join(" and ") : `${values.slice(0, -1).join(", ")} and ${values.at(-1)}`;
};

export interface MergeField {
  label: string;
  needsStudent: boolean;
  value: (c: MergeContext) => string;
}

/**
 * A Map, not an object: the names come from what staff type, and a plain
 * object would also answer to `constructor`, `toString` or `__proto__`.
 */
export const MERGE_FIELDS: ReadonlyMap<string, MergeField> = new Map([
  ["recipient.firstName", {
    label: "Recipient's first name",
    needsStudent: false,
    value: (c) => c.recipient.firstName,
  }],
  ["recipient.lastName", { label: "Recipient's last name", needsStudent: false, value: (c) => c.recipient.lastName }],
  ["student.firstName", {
    label: "Student's first name",
    needsStudent: true,
    value: (c) => names(c.students, (s) => s.firstName),
  }],
  ["student.lastName", {
    label: "Student's last name",
    needsStudent: true,
    value: (c) => names(c.students, (s) => s.lastName),
  }],
  ["student.grade", {
    label: "Student's grade",
    needsStudent: true,
    value: (c) => names(c.students, (s) => s.grade ?? ""),
  }],
  ["school.name", { label: "School name", needsStudent: false, value: (c) => c.school.name }],
  ["district.name", { label: "District name", needsStudent: false, value: (c) => c.district.name }],
]);

const FIELD = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The merge fields a text uses, in order of first use. */
export function mergeFieldsIn(text: string): string[] {
  return [...new Set([...text.matchAll(FIELD)].map((m) => m[1]))];
}

export function unknownMergeFields(text: string): string[] {
  return mergeFieldsIn(text).filter((f) => !MERGE_FIELDS.has(f));
}

export class MergeFieldError extends Error {
  constructor(readonly field: string, readonly recipientId: string) {
    super(`merge field {{${field}}} cannot be filled for recipient ${recipientId}`);
    this.name = "MergeFieldError";
  }
}

/** Whether a field can be filled for a recipient: a known field, and a student to name if it needs one. */
export function fillable(field: string, hasStudents: boolean): boolean {
  const def = MERGE_FIELDS.get(field);
  return def !== undefined && (!def.needsStudent || hasStudents);
}

/** Fills the fields for one recipient; `escape` is applied to each value (HTML). */
export function renderMerge(text: string, ctx: MergeContext, escape: (s: string) => string = (s) => s): string {
  return text.replaceAll(FIELD, (_, field: string) => {
    if (!fillable(field, ctx.students.length > 0)) throw new MergeFieldError(field, ctx.recipient.id);
    return escape(MERGE_FIELDS.get(field)!.value(ctx));
  });
}

export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
