import { useQuery } from "@tanstack/react-query";
import type { Camera } from "../../api/types.ts";
import { formatFull, parseTimeMs } from "../../lib/time.ts";
import type { VigilEvent } from "../../api/types.ts";
import { useViewsApi } from "../useViewsApi.ts";
import { coveragePercent, markerPercent, mergeSpans, toPercent } from "./timeline.ts";

const MARKER_COLOUR: Record<string, string> = {
  critical: "bg-red-500",
  high: "bg-orange-400",
  medium: "bg-amber-300",
  low: "bg-sky-300",
  info: "bg-slate-300",
};

/** One bar per camera over a day: recorded time (green), gaps (dark), events (ticks). */
export function DayTimelines({
  cameras,
  startMs,
  endMs,
  nowMs,
}: {
  cameras: Camera[];
  startMs: number;
  endMs: number;
  nowMs: number;
}) {
  const views = useViewsApi();
  const start = new Date(startMs).toISOString();
  const end = new Date(endMs).toISOString();
  const events = useQuery({
    queryKey: ["timeline-events", start, end],
    queryFn: ({ signal }) => views.events({ start, end }, null, signal, 500),
    refetchInterval: 60_000,
  });
  const byCamera = new Map<string, VigilEvent[]>();
  for (const e of events.data?.items ?? []) {
    byCamera.set(e.camera_id, [...(byCamera.get(e.camera_id) ?? []), e]);
  }
  return (
    <div className="space-y-2" data-testid="day-timelines">
      <div className="flex justify-between pl-32 text-xs text-slate-400" aria-hidden="true">
        {[0, 6, 12, 18, 24].map((h) => (
          <span key={h}>{String(h).padStart(2, "0")}:00</span>
        ))}
      </div>
      {cameras.map((camera) => (
        <CameraBar
          key={camera.id}
          camera={camera}
          events={byCamera.get(camera.id) ?? []}
          start={start}
          end={end}
          startMs={startMs}
          endMs={endMs}
          nowMs={nowMs}
        />
      ))}
      {events.data?.next_cursor != null && (
        <p className="text-sm text-slate-400">Busy day: the bars show the newest 500 events.</p>
      )}
    </div>
  );
}

function CameraBar({
  camera,
  events,
  start,
  end,
  startMs,
  endMs,
  nowMs,
}: {
  camera: Camera;
  events: VigilEvent[];
  start: string;
  end: string;
  startMs: number;
  endMs: number;
  nowMs: number;
}) {
  const views = useViewsApi();
  const recordings = useQuery({
    queryKey: ["timeline-recordings", camera.id, start, end],
    queryFn: ({ signal }) => views.recordings(camera.id, start, end, signal),
    refetchInterval: 60_000,
  });
  const spans = mergeSpans(
    (recordings.data ?? []).map((r) => ({
      startMs: parseTimeMs(r.start) ?? 0,
      endMs: parseTimeMs(r.end) ?? 0,
    })),
    startMs,
    endMs,
  );
  const covered = coveragePercent(spans, startMs, endMs, nowMs);
  const status = recordings.isError
    ? "recordings unavailable"
    : recordings.data === undefined
      ? "loading"
      : `${covered.toFixed(0)}% recorded, ${String(events.length)} events`;
  return (
    <div
      className="flex items-center gap-2"
      data-testid="camera-timeline"
      data-camera-id={camera.id}
    >
      <span className="w-30 shrink-0 truncate text-sm text-slate-200" title={camera.name}>
        {camera.name}
      </span>
      <div
        role="img"
        aria-label={`${camera.name}: ${status}`}
        title={status}
        className="relative h-6 flex-1 overflow-hidden rounded bg-slate-800"
      >
        {spans.map((span) => {
          const p = toPercent(span, startMs, endMs);
          return (
            <span
              key={span.startMs}
              data-testid="timeline-coverage"
              className="absolute inset-y-1 bg-emerald-600/80"
              style={{ left: `${String(p.left)}%`, width: `max(1px, ${String(p.width)}%)` }}
            />
          );
        })}
        {events.map((e) => {
          const atMs = parseTimeMs(e.occurred_at);
          const x = atMs === null ? null : markerPercent(atMs, startMs, endMs);
          if (x === null || atMs === null) return null;
          return (
            <span
              key={e.id}
              data-testid="timeline-event"
              title={`${e.type} · ${formatFull(atMs)}`}
              className={`absolute inset-y-0 w-0.5 ${MARKER_COLOUR[e.severity] ?? "bg-white"}`}
              style={{ left: `${String(x)}%` }}
            />
          );
        })}
      </div>
    </div>
  );
}
