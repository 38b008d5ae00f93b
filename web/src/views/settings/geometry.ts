/**
 * Zone and line drawing on a camera picture. Points are normalised [x, y] (0..1, origin
 * top-left, as the API stores them); the editor converts from CSS pixels of the picture.
 */
import type { Point } from "../../api/types.ts";

/**
 * A polygon or line as the server answers it (`number[][]`: its answers do not declare pairs,
 * only its request bodies do) as points.
 */
export function asPoints(points: readonly (readonly number[])[]): Point[] {
  return points.map(([x = 0, y = 0]) => [x, y]);
}

export interface Draft {
  points: Point[];
  /** The polygon is finished (its last point joins its first). */
  closed: boolean;
}

export const EMPTY_DRAFT: Draft = { points: [], closed: false };

/** Clicking this close (in normalised units) to the first point closes the polygon. */
export const CLOSE_TOLERANCE = 0.03;

const round = (v: number) => Math.round(v * 10_000) / 10_000;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** A pixel position inside a `width` × `height` picture as a normalised point (clamped). */
export function normalise(xPx: number, yPx: number, width: number, height: number): Point {
  if (width <= 0 || height <= 0) return [0, 0];
  return [round(clamp01(xPx / width)), round(clamp01(yPx / height))];
}

function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/**
 * A click at `p`: adds a point, or closes the polygon when it lands on the first point and
 * there are at least 3. A closed polygon takes no more points.
 */
export function addPoint(draft: Draft, p: Point, tolerance = CLOSE_TOLERANCE): Draft {
  if (draft.closed) return draft;
  const first = draft.points[0];
  if (first !== undefined && draft.points.length >= 3 && distance(first, p) <= tolerance) {
    return { points: draft.points, closed: true };
  }
  return { points: [...draft.points, p], closed: false };
}

/** Closes the polygon, if it has at least 3 points. */
export function closePolygon(draft: Draft): Draft {
  return draft.points.length >= 3 ? { ...draft, closed: true } : draft;
}

/** Moves point `index` to `p` (clamped into the frame). */
export function movePoint(draft: Draft, index: number, p: Point): Draft {
  if (index < 0 || index >= draft.points.length) return draft;
  const points = draft.points.map((q, i): Point =>
    i === index ? [round(clamp01(p[0])), round(clamp01(p[1]))] : q,
  );
  return { ...draft, points };
}

/** Removes point `index`; a polygon left with under 3 points opens again. */
export function removePoint(draft: Draft, index: number): Draft {
  const points = draft.points.filter((_, i) => i !== index);
  return { points, closed: draft.closed && points.length >= 3 };
}

/** The point nearest to `p` within `tolerance`, or -1. */
export function nearestPoint(points: readonly Point[], p: Point, tolerance: number): number {
  let best = -1;
  let bestDistance = tolerance;
  points.forEach((q, i) => {
    const d = distance(p, q);
    if (d <= bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
}

function orientation(a: Point, b: Point, c: Point): number {
  const v = (b[1] - a[1]) * (c[0] - b[0]) - (b[0] - a[0]) * (c[1] - b[1]);
  return Math.abs(v) < 1e-12 ? 0 : v > 0 ? 1 : 2;
}

function onSegment(a: Point, b: Point, c: Point): boolean {
  return (
    Math.min(a[0], c[0]) <= b[0] &&
    b[0] <= Math.max(a[0], c[0]) &&
    Math.min(a[1], c[1]) <= b[1] &&
    b[1] <= Math.max(a[1], c[1])
  );
}

/** Whether segments ab and cd share any point (touching counts). */
export function segmentsIntersect(a: Point, b: Point, c: Point, d: Point): boolean {
  const o1 = orientation(a, b, c);
  const o2 = orientation(a, b, d);
  const o3 = orientation(c, d, a);
  const o4 = orientation(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (
    (o1 === 0 && onSegment(a, c, b)) ||
    (o2 === 0 && onSegment(a, d, b)) ||
    (o3 === 0 && onSegment(c, a, d)) ||
    (o4 === 0 && onSegment(c, b, d))
  );
}

/**
 * Pairs of edges (by the index of their first point) of the closed polygon that cross each
 * other; neighbouring edges (which share a point) are not compared. Empty: a simple polygon,
 * as the server requires.
 */
export function selfIntersections(points: readonly Point[]): [number, number][] {
  const n = points.length;
  if (n < 4) return [];
  const crossings: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue;
      const a = points[i];
      const b = points[(i + 1) % n];
      const c = points[j];
      const d = points[(j + 1) % n];
      if (a && b && c && d && segmentsIntersect(a, b, c, d)) crossings.push([i, j]);
    }
  }
  return crossings;
}

/** Area of the polygon (shoelace), in normalised units (1 = the whole frame). */
export function polygonArea(points: readonly Point[]): number {
  let twice = 0;
  points.forEach((p, i) => {
    const q = points[(i + 1) % points.length] ?? p;
    twice += p[0] * q[1] - q[0] * p[1];
  });
  return Math.abs(twice) / 2;
}

/** What stops the drawing from being saved as a zone, in words; null when it can be saved. */
export function polygonProblem(draft: Draft): string | null {
  if (draft.points.length < 3) return "Click at least 3 points on the picture.";
  if (!draft.closed) return "Close the polygon: click its first point or press Close polygon.";
  if (selfIntersections(draft.points).length > 0)
    return "The edges cross each other: move a point so the outline does not cross itself.";
  if (polygonArea(draft.points) < 1e-6) return "The polygon has no area.";
  return null;
}

/** What stops the drawing from being saved as a line; null when it can be saved. */
export function lineProblem(points: readonly Point[]): string | null {
  if (points.length < 2) return "Click the line's two end points on the picture.";
  const [a, b] = points;
  if (a && b && a[0] === b[0] && a[1] === b[1]) return "The two end points are the same.";
  return null;
}

/** A line takes two points; a third click starts it again from there. */
export function addLinePoint(points: readonly Point[], p: Point): Point[] {
  return points.length >= 2 ? [p] : [...points, p];
}
