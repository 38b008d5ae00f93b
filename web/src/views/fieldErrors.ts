import { ApiError } from "../api/client.ts";

/** Field path (e.g. "line", "zones.0", "photos.1") → what is wrong with it. */
export type FieldErrors = Record<string, string>;

/** "body.zones[0].id" → "zones.0.id"; "(top level)" → "". */
function dottedPath(text: string): string {
  const path = text
    .replace(/\[(\d+)\]/g, ".$1")
    .replace(/^(body|query|form)(\.|$)/, "")
    .replace(/^\./, "");
  return path === "(top level)" ? "" : path;
}

/** "body.line: required for a line_crossing rule" → ["line", "required for …"]. */
function splitLine(line: string): [string, string] {
  const match = /^([^\s:]+): (.*)$/s.exec(line);
  return match === null ? ["", line] : [dottedPath(match[1] ?? ""), match[2] ?? ""];
}

function pathOf(loc: unknown): string | null {
  if (typeof loc === "string") return dottedPath(loc);
  if (!Array.isArray(loc)) return null;
  const parts = loc.map(String);
  // FastAPI prefixes where the value came from ("body", "query", "form").
  if (parts.length > 0 && ["body", "query", "form", "path"].includes(parts[0] ?? "")) parts.shift();
  return parts.join(".");
}

function messageOf(item: Record<string, unknown>): string | null {
  const message = item.msg ?? item.message ?? item.detail ?? item.error;
  return typeof message === "string" ? message.replace(/^Value error, /, "") : null;
}

/**
 * The field errors of a refused request: FastAPI's 422 list (`detail: [{loc, msg}]`), or an
 * `errors` list of "body.path: message" lines (zones and rules) or `{path|field|loc,
 * message|msg}` objects. Paths are dotted ("zones.0"); a message without one goes under "".
 */
export function fieldErrorsOf(err: unknown): FieldErrors {
  if (!(err instanceof ApiError)) return {};
  const lists = [err.extra.detail_items, err.extra.errors].filter(Array.isArray);
  const out: FieldErrors = {};
  for (const list of lists as unknown[][]) {
    for (const raw of list) {
      if (typeof raw === "string") {
        const [path, message] = splitLine(raw);
        out[path] = out[path] === undefined ? message : `${out[path]}; ${message}`;
        continue;
      }
      if (typeof raw !== "object" || raw === null) continue;
      const item = raw as Record<string, unknown>;
      const message = messageOf(item);
      if (message === null) continue;
      const path = pathOf(item.loc ?? item.path ?? item.field) ?? "";
      out[path] = out[path] === undefined ? message : `${out[path]}; ${message}`;
    }
  }
  // No list: a single detail that starts with a field path, e.g. "photos[1] (b.jpg): no face".
  if (lists.length === 0) {
    const match = /^([a-z_]+(?:\[\d+\])*)(?: \([^)]*\))?: (.+)$/s.exec(err.detail);
    if (match !== null) out[dottedPath(match[1] ?? "")] = match[2] ?? "";
  }
  return out;
}

/** Errors at `path` or below it ("zones" collects "zones.0" too), as one line; null if none. */
export function errorAt(errors: FieldErrors, path: string): string | null {
  const found = Object.entries(errors)
    .filter(([key]) => key === path || key.startsWith(`${path}.`))
    .map(([key, message]) =>
      key === path ? message : `${key.slice(path.length + 1)}: ${message}`,
    );
  return found.length === 0 ? null : found.join("; ");
}
