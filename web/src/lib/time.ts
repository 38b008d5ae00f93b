/** Parses an ISO-8601 timestamp to epoch milliseconds; null when absent or invalid. */
export function parseTimeMs(iso: string | null | undefined): number | null {
  if (iso == null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Compact past-relative time: "just now", "42s ago", "5m ago", "3h ago", "2d ago".
 * Times slightly in the future (clock skew between browser and server) read "just now".
 */
export function formatRelative(thenMs: number, nowMs: number): string {
  const seconds = Math.floor((nowMs - thenMs) / 1000);
  if (seconds < 2) return "just now";
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.floor(hours / 24)}d ago`;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const dateAndTime = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const fullDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });

function sameLocalDay(aMs: number, bMs: number): boolean {
  const a = new Date(aMs);
  const b = new Date(bMs);
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

/** Browser-local clock time; the date is added when it is not today. */
export function formatAbsolute(thenMs: number, nowMs: number): string {
  return sameLocalDay(thenMs, nowMs) ? timeOfDay.format(thenMs) : dateAndTime.format(thenMs);
}

/** Unambiguous local date and time with zone, for tooltips. */
export function formatFull(thenMs: number): string {
  return fullDateTime.format(thenMs);
}
