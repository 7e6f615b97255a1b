/** A link to `path` with the query's non-empty values, so links stay short and filters survive paging. */
export function href(path: string, query: object): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
