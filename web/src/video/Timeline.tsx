import { useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import { useElementSize } from "../hooks/useElementSize.ts";
import {
  layoutTimeline,
  orderedRange,
  ticks,
  timeToX,
  xToTime,
  type TimeRange,
  type TimelineEvent,
} from "./timeline.ts";

/** A pointer that moves further than this between press and release selects a range. */
const DRAG_PX = 4;
const KEY_STEP_MS = 10_000;

const clock = (ms: number) =>
  new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * Recording coverage (green), gaps (hatched) and events (amber marks) of one
 * camera over `window`. Clicking the bar seeks there; dragging selects a range
 * (for export); arrow keys step 10 s; each event mark is a button that jumps to it.
 */
export function Timeline({
  window,
  recordings,
  events,
  playheadMs,
  selection,
  onSeek,
  onSelect,
}: {
  window: TimeRange;
  recordings: readonly TimeRange[];
  events: readonly TimelineEvent[];
  playheadMs: number | null;
  selection: TimeRange | null;
  onSeek: (atMs: number) => void;
  onSelect: (range: TimeRange) => void;
}) {
  const barRef = useRef<HTMLDivElement>(null);
  const { width } = useElementSize(barRef);
  const [drag, setDrag] = useState<{ fromX: number; toX: number } | null>(null);
  const layout = layoutTimeline(window, recordings, events, width);
  const marks = ticks(window, width, 96);
  // Ticks closer than a minute need seconds, or two would read the same.
  const withSeconds = (marks[1] ?? Infinity) - (marks[0] ?? 0) < 60_000;
  const xOf = (e: PointerEvent<HTMLDivElement>) =>
    e.clientX - e.currentTarget.getBoundingClientRect().left;
  const shownSelection =
    drag !== null && Math.abs(drag.toX - drag.fromX) > DRAG_PX
      ? orderedRange(xToTime(drag.fromX, window, width), xToTime(drag.toX, window, width))
      : selection;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = playheadMs ?? window.startMs;
    const target =
      e.key === "ArrowLeft"
        ? at - KEY_STEP_MS
        : e.key === "ArrowRight"
          ? at + KEY_STEP_MS
          : e.key === "Home"
            ? window.startMs
            : e.key === "End"
              ? window.endMs
              : null;
    if (target === null) return;
    e.preventDefault();
    onSeek(Math.min(window.endMs, Math.max(window.startMs, target)));
  };

  return (
    <div data-testid="timeline" data-coverage={layout.coverage.toFixed(4)} className="select-none">
      <div className="relative h-6" aria-label="Events">
        {layout.events.map((event) => (
          <button
            key={event.id}
            type="button"
            data-testid="timeline-event"
            data-event-id={event.id}
            aria-label={`Jump to ${event.type} at ${clock(event.atMs)}`}
            title={`${event.type} (${event.severity}) at ${clock(event.atMs)}`}
            onClick={() => {
              onSeek(event.atMs);
            }}
            className="absolute top-0 h-6 w-3 -translate-x-1/2 cursor-pointer focus-visible:outline-2 focus-visible:outline-amber-300"
            style={{ left: `${event.x}px` }}
          >
            <span className="mx-auto block h-full w-1 rounded bg-amber-400" />
          </button>
        ))}
      </div>
      <div
        ref={barRef}
        role="slider"
        tabIndex={0}
        aria-label="Recording timeline: click to play from there, drag to select a clip"
        aria-valuemin={window.startMs}
        aria-valuemax={window.endMs}
        aria-valuenow={Math.round(playheadMs ?? window.startMs)}
        aria-valuetext={playheadMs === null ? "not playing" : clock(playheadMs)}
        onKeyDown={onKeyDown}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          const x = xOf(e);
          setDrag({ fromX: x, toX: x });
        }}
        onPointerMove={(e) => {
          if (drag !== null) setDrag({ ...drag, toX: xOf(e) });
        }}
        onPointerUp={(e) => {
          if (drag === null) return;
          const toX = xOf(e);
          setDrag(null);
          if (Math.abs(toX - drag.fromX) > DRAG_PX) {
            onSelect(orderedRange(xToTime(drag.fromX, window, width), xToTime(toX, window, width)));
          } else {
            onSeek(xToTime(toX, window, width));
          }
        }}
        onPointerCancel={() => {
          setDrag(null);
        }}
        className="relative h-10 cursor-pointer touch-none overflow-hidden rounded bg-slate-800 ring-1 ring-slate-600 focus-visible:outline-4 focus-visible:outline-amber-400"
      >
        {layout.gaps.map((gap) => (
          <div
            key={`gap-${gap.startMs}`}
            data-testid="timeline-gap"
            title={`No recording ${clock(gap.startMs)} – ${clock(gap.endMs)}`}
            className="absolute inset-y-0 bg-[repeating-linear-gradient(135deg,#475569_0_4px,#1e293b_4px_8px)]"
            style={{ left: `${gap.x}px`, width: `${gap.width}px` }}
          />
        ))}
        {layout.covered.map((range) => (
          <div
            key={`rec-${range.startMs}`}
            data-testid="timeline-covered"
            data-start={new Date(range.startMs).toISOString()}
            data-end={new Date(range.endMs).toISOString()}
            title={`Recorded ${clock(range.startMs)} – ${clock(range.endMs)}`}
            className="absolute inset-y-1 bg-emerald-600"
            style={{ left: `${range.x}px`, width: `${range.width}px` }}
          />
        ))}
        {shownSelection !== null && (
          <div
            data-testid="timeline-selection"
            className="pointer-events-none absolute inset-y-0 border-x-2 border-sky-300 bg-sky-400/30"
            style={{
              left: `${timeToX(shownSelection.startMs, window, width)}px`,
              width: `${timeToX(shownSelection.endMs, window, width) - timeToX(shownSelection.startMs, window, width)}px`,
            }}
          />
        )}
        {playheadMs !== null && (
          <div
            data-testid="timeline-playhead"
            className="pointer-events-none absolute inset-y-0 w-0.5 bg-white"
            style={{ left: `${timeToX(playheadMs, window, width)}px` }}
          />
        )}
      </div>
      <div className="relative h-5 text-xs text-slate-400" aria-hidden="true">
        {marks.map((t) => (
          <span
            key={t}
            className="absolute -translate-x-1/2 whitespace-nowrap tabular-nums"
            style={{ left: `${timeToX(t, window, width)}px` }}
          >
            {new Date(t).toLocaleTimeString([], {
              hour: "2-digit",
              minute: "2-digit",
              ...(withSeconds ? { second: "2-digit" } : {}),
            })}
          </span>
        ))}
      </div>
      <p className="mt-1 flex flex-wrap gap-x-4 text-sm text-slate-400">
        <span>
          <span className="mr-1 inline-block size-3 bg-emerald-600 align-middle" />
          recorded ({Math.round(layout.coverage * 100)}%)
        </span>
        <span>
          <span className="mr-1 inline-block size-3 bg-[repeating-linear-gradient(135deg,#475569_0_2px,#1e293b_2px_4px)] align-middle" />
          no recording
        </span>
        <span>
          <span className="mr-1 inline-block h-3 w-1 bg-amber-400 align-middle" />
          event ({layout.events.length})
        </span>
      </p>
    </div>
  );
}
