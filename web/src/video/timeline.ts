/**
 * Timeline geometry: recording coverage, gaps and event markers of one camera
 * over a time window, as pixel ranges of a bar `widthPx` wide. Times are epoch
 * milliseconds; x is CSS pixels from the bar's left edge.
 */

export interface TimeRange {
  startMs: number;
  endMs: number;
}

export interface PixelRange extends TimeRange {
  x: number;
  width: number;
}

export interface TimelineEvent {
  id: string;
  atMs: number;
  type: string;
  severity: string;
}

export interface EventMarker extends TimelineEvent {
  x: number;
}

export interface TimelineLayout {
  covered: PixelRange[];
  gaps: PixelRange[];
  events: EventMarker[];
  /** Share of the window with recordings, 0..1. */
  coverage: number;
}

/**
 * Segments closer than this are one recording (segments are cut on keyframes,
 * so neighbours can be a frame apart); a longer hole is a gap.
 */
export const JOIN_TOLERANCE_MS = 1500;

/** Overlapping or nearly touching ranges merged, sorted by start; empty ones dropped. */
export function mergeRanges(
  ranges: readonly TimeRange[],
  toleranceMs: number = JOIN_TOLERANCE_MS,
): TimeRange[] {
  const sorted = ranges
    .filter((r) => Number.isFinite(r.startMs) && Number.isFinite(r.endMs) && r.endMs > r.startMs)
    .toSorted((a, b) => a.startMs - b.startMs);
  const merged: TimeRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && range.startMs - last.endMs <= toleranceMs) {
      last.endMs = Math.max(last.endMs, range.endMs);
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}

/** `ranges` (merged, sorted) cut to `window`. */
export function clipRanges(ranges: readonly TimeRange[], window: TimeRange): TimeRange[] {
  return ranges
    .map((r) => ({
      startMs: Math.max(r.startMs, window.startMs),
      endMs: Math.min(r.endMs, window.endMs),
    }))
    .filter((r) => r.endMs > r.startMs);
}

/** The parts of `window` that no range of `covered` (merged, sorted, clipped) covers. */
export function gapsIn(window: TimeRange, covered: readonly TimeRange[]): TimeRange[] {
  const gaps: TimeRange[] = [];
  let cursor = window.startMs;
  for (const range of covered) {
    if (range.startMs > cursor) gaps.push({ startMs: cursor, endMs: range.startMs });
    cursor = Math.max(cursor, range.endMs);
  }
  if (cursor < window.endMs) gaps.push({ startMs: cursor, endMs: window.endMs });
  return gaps;
}

function span(window: TimeRange): number {
  return Math.max(1, window.endMs - window.startMs);
}

/** x of time `atMs` on a bar of `widthPx` showing `window` (not clamped). */
export function timeToX(atMs: number, window: TimeRange, widthPx: number): number {
  return ((atMs - window.startMs) / span(window)) * widthPx;
}

/** The time under `x` (clamped to the window). */
export function xToTime(x: number, window: TimeRange, widthPx: number): number {
  if (widthPx <= 0) return window.startMs;
  const fraction = Math.min(1, Math.max(0, x / widthPx));
  return Math.round(window.startMs + fraction * span(window));
}

function toPixels(range: TimeRange, window: TimeRange, widthPx: number): PixelRange {
  const x = timeToX(range.startMs, window, widthPx);
  return { ...range, x, width: timeToX(range.endMs, window, widthPx) - x };
}

/** Coverage, gaps and event markers of `window` on a bar `widthPx` wide. */
export function layoutTimeline(
  window: TimeRange,
  recordings: readonly TimeRange[],
  events: readonly TimelineEvent[],
  widthPx: number,
): TimelineLayout {
  const covered = clipRanges(mergeRanges(recordings), window);
  const gaps = gapsIn(window, covered);
  const coveredMs = covered.reduce((sum, r) => sum + (r.endMs - r.startMs), 0);
  return {
    covered: covered.map((r) => toPixels(r, window, widthPx)),
    gaps: gaps.map((r) => toPixels(r, window, widthPx)),
    events: events
      .filter((e) => e.atMs >= window.startMs && e.atMs <= window.endMs)
      .toSorted((a, b) => a.atMs - b.atMs)
      .map((e) => ({ ...e, x: timeToX(e.atMs, window, widthPx) })),
    coverage: coveredMs / span(window),
  };
}

/** The range between two times, in order (a drag to the left selects the same range). */
export function orderedRange(aMs: number, bMs: number): TimeRange {
  return { startMs: Math.min(aMs, bMs), endMs: Math.max(aMs, bMs) };
}

/** Tick marks every `stepMs` (1, 2, 5, 10, 15, 30 min … chosen to leave ~`minGapPx` between). */
export function ticks(window: TimeRange, widthPx: number, minGapPx = 80): number[] {
  const steps = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600].map((s) => s * 1000);
  const perPx = span(window) / Math.max(1, widthPx);
  const step = steps.find((s) => s / perPx >= minGapPx) ?? steps[steps.length - 1] ?? 3_600_000;
  const first = Math.ceil(window.startMs / step) * step;
  const result: number[] = [];
  for (let t = first; t <= window.endMs; t += step) result.push(t);
  return result;
}
