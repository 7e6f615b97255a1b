import type { Stamp } from "../services/model.ts";
import { formatInstant } from "../services/time.ts";

/**
 * "Created By" and, once edited, "Modified By", as rows of the caller's <dl>;
 * with a time zone each name has its moment.
 */
export function CreatedBy(
  { created, modified, timeZone }: { created: Stamp; modified?: Stamp; timeZone?: string },
) {
  const who = (s: Stamp) => timeZone ? `${s.name}, ${formatInstant(Date.parse(s.at), timeZone)}` : s.name;
  return (
    <>
      <dt>Created By</dt>
      <dd>{who(created)}</dd>
      {modified && (
        <>
          <dt>Modified By</dt>
          <dd>{who(modified)}</dd>
        </>
      )}
    </>
  );
}
