import type { AlertStatus, Severity } from "../../api/types.ts";
import type { AlertEntry, AlertsState } from "../../lib/alerts.ts";

export interface AlertFilter {
  /** Camera id, or "" for every camera. */
  camera: string;
  /** Severities shown; empty shows every severity. */
  severities: readonly Severity[];
  status: AlertStatus | "open";
}

export const DEFAULT_FILTER: AlertFilter = { camera: "", severities: [], status: "open" };

/** Whether one alert passes the filter ("open" = new or acknowledged). */
export function matchesFilter(
  alert: { camera_id: string; severity: string; status: string },
  filter: AlertFilter,
): boolean {
  if (filter.camera !== "" && alert.camera_id !== filter.camera) return false;
  if (filter.severities.length > 0 && !filter.severities.some((s) => s === alert.severity))
    return false;
  if (filter.status === "open") return alert.status === "new" || alert.status === "acknowledged";
  return alert.status === filter.status;
}

/** The live list's entries that pass the filter, in the list's order (newest first). */
export function filterEntries(entries: readonly AlertEntry[], filter: AlertFilter): AlertEntry[] {
  return entries.filter((entry) => matchesFilter(entry.alert, filter));
}

/**
 * Critical alerts that are new in `next` compared with `previous` (pushed, not loaded at
 * start): the ones to sound for. Each id is reported once; `heard` remembers them.
 */
export function criticalArrivals(
  previous: AlertsState,
  next: AlertsState,
  heard: Set<string>,
): string[] {
  if (!previous.loaded || next.seq === previous.seq) return [];
  const arrivals: string[] = [];
  for (const entry of next.entries) {
    const { alert } = entry;
    if (!entry.fresh || alert.severity !== "critical" || alert.status !== "new") continue;
    if (heard.has(alert.id)) continue;
    heard.add(alert.id);
    arrivals.push(alert.id);
  }
  return arrivals;
}
