/** A step's refusals, by field; those for want of a tool right are told apart so the route can answer 403. */
export type Errors = Record<string, string>;

/** Every refusal for want of a tool right starts so; the route answers those with 403. */
export const NO_RIGHT = "You do not have the right";

export function refusedForRights(errors: Errors): boolean {
  return Object.values(errors).some((m) => m.startsWith(NO_RIGHT));
}
