/** A step's refusals, by field, as the wizard shows them beside each field and summed up above the form. */
export type Errors = Record<string, string>;

/** Every refusal for want of a tool right starts so; the route answers those with 403. */
export const NO_RIGHT = "You do not have the right";

export function refusedForRights(errors: Errors): boolean {
  return Object.values(errors).some((m) => m.startsWith(NO_RIGHT));
}
