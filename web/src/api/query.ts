/** Helpers of the typed calls: query strings, path segments, list answers. */

/** `?a=1&b=x` of the given values, leaving out undefined, null and ""; "" when none is left. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** One path segment (an id), percent-encoded. */
export const id = encodeURIComponent;

/** Lists answered as a bare array or as `{items: [...]}` (either shape is accepted). */
export function items<T>(body: T[] | { items: T[] }): T[] {
  return Array.isArray(body) ? body : body.items;
}
