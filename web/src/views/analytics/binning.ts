/** Chart and heatmap arithmetic: axis scales, bar geometry, heat colours. Pure functions. */

/** The smallest 1, 2 or 5 × 10ⁿ at or above the largest value (at least 1): a round axis top. */
export function niceMax(values: readonly number[]): number {
  const max = Math.max(0, ...values.filter(Number.isFinite));
  if (max <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= max) return step * magnitude;
  }
  return 10 * magnitude;
}

export interface Bar {
  label: string;
  value: number;
  x: number;
  width: number;
  /** Top of the bar (SVG y grows downwards). */
  y: number;
  height: number;
}

/**
 * Bars of `values` side by side across `widthPx`, scaled so `axisMax` fills `heightPx`;
 * `gapPx` between bars. A non-zero value is at least 1 px tall, so it never looks like zero.
 */
export function layoutBars(
  items: readonly { label: string; value: number }[],
  widthPx: number,
  heightPx: number,
  axisMax: number,
  gapPx = 2,
): Bar[] {
  if (items.length === 0) return [];
  const slot = widthPx / items.length;
  const width = Math.max(1, slot - gapPx);
  return items.map((item, i) => {
    const value = Number.isFinite(item.value) ? Math.max(0, item.value) : 0;
    const scaled = axisMax > 0 ? (value / axisMax) * heightPx : 0;
    const height = value > 0 ? Math.max(1, Math.min(heightPx, scaled)) : 0;
    return {
      label: item.label,
      value,
      x: i * slot + gapPx / 2,
      width,
      y: heightPx - height,
      height,
    };
  });
}

/** A count map as bars, largest first (ties by name), at most `limit` (the rest summed as "other"). */
export function rankedBars(
  counts: Record<string, number>,
  limit = 12,
): { label: string; value: number }[] {
  const sorted = Object.entries(counts)
    .map(([label, value]) => ({ label, value }))
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  if (sorted.length <= limit) return sorted;
  const rest = sorted.slice(limit - 1).reduce((sum, item) => sum + item.value, 0);
  return [...sorted.slice(0, limit - 1), { label: "other", value: rest }];
}

export interface HeatCell {
  row: number;
  col: number;
  count: number;
  /** 0..1: the cell's share of the busiest cell. */
  intensity: number;
}

/** The non-empty cells of a rows × cols grid, with intensity relative to the busiest cell. */
export function heatCells(cells: readonly (readonly number[])[]): HeatCell[] {
  const max = Math.max(0, ...cells.flat());
  if (max === 0) return [];
  const out: HeatCell[] = [];
  cells.forEach((row, r) => {
    row.forEach((count, c) => {
      if (count > 0) out.push({ row: r, col: c, count, intensity: count / max });
    });
  });
  return out;
}

/** Heat colour: transparent blue at 0 through yellow to opaque red at 1. */
export function heatColour(intensity: number): string {
  const t = Math.min(1, Math.max(0, intensity));
  // Hue 220 (blue) → 0 (red); alpha .25 → .75 so the picture stays readable underneath.
  const hue = Math.round(220 * (1 - t));
  const alpha = (0.25 + 0.5 * t).toFixed(2);
  return `hsla(${String(hue)}, 100%, 50%, ${alpha})`;
}

export const ACK_GOAL_S = 300;

/** "2 min 5 s", "45 s", "1 h 3 min": a duration for people. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${String(s)} s`;
  if (s < 3600) {
    const rest = s % 60;
    return rest === 0
      ? `${String(Math.floor(s / 60))} min`
      : `${String(Math.floor(s / 60))} min ${String(rest)} s`;
  }
  const minutes = Math.round((s % 3600) / 60);
  return `${String(Math.floor(s / 3600))} h${minutes > 0 ? ` ${String(minutes)} min` : ""}`;
}
