import type { Alert } from "../api/types.ts";
import { unacknowledgedCount, type AlertsState } from "../lib/alerts.ts";
import { AlertItem } from "./AlertItem.tsx";

export function AlertPanel({
  state,
  displayAspects,
  loadError,
  nowMs,
  canAcknowledge,
  onChanged,
  onRefresh,
}: {
  state: AlertsState;
  /** Camera id → `display_aspect`, for the snapshot thumbnails. */
  displayAspects: ReadonlyMap<string, number | null>;
  loadError: string | null;
  nowMs: number;
  canAcknowledge: boolean;
  onChanged: (alert: Alert) => void;
  onRefresh: () => void;
}) {
  const unacknowledged = unacknowledgedCount(state);
  return (
    <section id="alerts" aria-labelledby="alerts-heading" className="flex min-h-0 flex-col">
      <div className="flex items-baseline justify-between gap-2 pb-3">
        <h2 id="alerts-heading" className="text-xl font-bold text-white">
          Alerts
        </h2>
        <p className="text-base text-slate-400">
          {unacknowledged} new · {state.entries.length - unacknowledged} other
          {state.hasMore && " · showing newest 50"}
        </p>
      </div>
      {loadError !== null && (
        <div
          role="alert"
          className="mb-3 flex items-center justify-between gap-3 rounded-lg border border-red-600 bg-red-950 px-3 py-2 text-base text-red-100"
        >
          <span>Could not load alerts: {loadError}</span>
          <button
            type="button"
            onClick={onRefresh}
            className="rounded-md bg-red-800 px-3 py-1 font-semibold hover:bg-red-700"
          >
            Retry
          </button>
        </div>
      )}
      {!state.loaded && loadError === null && (
        <p className="text-base text-slate-400">Loading alerts…</p>
      )}
      {state.loaded && state.entries.length === 0 && (
        <p className="rounded-lg border border-slate-800 bg-slate-900 px-4 py-6 text-center text-lg text-slate-300">
          No open alerts.
        </p>
      )}
      <ol className="flex flex-col gap-3" aria-live="polite" aria-relevant="additions">
        {state.entries.map((entry) => (
          <AlertItem
            key={entry.alert.id}
            entry={entry}
            displayAspect={displayAspects.get(entry.alert.camera_id) ?? null}
            nowMs={nowMs}
            canAcknowledge={canAcknowledge}
            onChanged={onChanged}
            onConflict={onRefresh}
          />
        ))}
      </ol>
    </section>
  );
}
