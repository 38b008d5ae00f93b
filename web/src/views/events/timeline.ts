/**
 * Layout of a per-camera day bar: recording coverage merged into spans and events as
 * markers, as percentages of the bar's width. Times are epoch milliseconds.
 */

export interface Span {
  startMs: number;
  endMs: number;
}

export interface PercentSpan extends Span {
  /** Left edge, % of the bar. */
  left: number;
  /** Width, % of the bar. */
  width: number;
}

/** Segments closer than this are one span: a 10 s segment's boundary jitter is no gap. */
export const MERGE_TOLERANCE_MS = 2000;

/**
 * Merges time ranges (in any order, overlapping or not) into sorted, disjoint spans clipped to
 * [windowStart, windowEnd); ranges within `toleranceMs` of each other join.
 */
export function mergeSpans(
  ranges: readonly Span[],
  windowStartMs: number,
  windowEndMs: number,
  toleranceMs: number = MERGE_TOLERANCE_MS,
): Span[] {
  const clipped = ranges
    .map((r) => ({
      startMs: Math.max(r.startMs, windowStartMs),
      endMs: Math.min(r.endMs, windowEndMs),
    }))
    .filter((r) => r.endMs > r.startMs)
    .sort((a, b) => a.startMs - b.startMs);
  const merged: Span[] = [];
  for (const r of clipped) {
    const last = merged.at(-1);
    if (last !== undefined && r.startMs <= last.endMs + toleranceMs) {
      last.endMs = Math.max(last.endMs, r.endMs);
    } else {
      merged.push({ ...r });
    }
  }
  return merged;
}

/** Where a span sits on a bar showing [windowStart, windowEnd), in % of its width. */
export function toPercent(span: Span, windowStartMs: number, windowEndMs: number): PercentSpan {
  const total = windowEndMs - windowStartMs;
  const left = ((span.startMs - windowStartMs) / total) * 100;
  const width = ((span.endMs - span.startMs) / total) * 100;
  return { ...span, left, width };
}

/** Share of [windowStart, min(windowEnd, nowMs)) that the spans cover, 0..100. */
export function coveragePercent(
  spans: readonly Span[],
  windowStartMs: number,
  windowEndMs: number,
  nowMs: number,
): number {
  const end = Math.min(windowEndMs, nowMs);
  if (end <= windowStartMs) return 0;
  const covered = spans.reduce(
    (sum, s) => sum + Math.max(0, Math.min(s.endMs, end) - Math.max(s.startMs, windowStartMs)),
    0,
  );
  return (covered / (end - windowStartMs)) * 100;
}

/** An event marker's position on the bar (0..100), or null outside the window. */
export function markerPercent(
  atMs: number,
  windowStartMs: number,
  windowEndMs: number,
): number | null {
  if (atMs < windowStartMs || atMs >= windowEndMs) return null;
  return ((atMs - windowStartMs) / (windowEndMs - windowStartMs)) * 100;
}
