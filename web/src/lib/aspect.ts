import type { Rect } from "./bbox.ts";

/** Most cameras are 16:9; used until the server or the picture says otherwise. */
export const DEFAULT_ASPECT = 16 / 9;

const isPositive = (v: number | null | undefined): v is number =>
  typeof v === "number" && Number.isFinite(v) && v > 0;

/**
 * Width / height to show a picture at: the server's `display_aspect` when it
 * gives one (a 960x1080 DVR picture of a 16:9 scene says 16/9), else the
 * picture's own pixel aspect, else null.
 */
export function pictureAspect(
  displayAspect: number | null | undefined,
  naturalWidth: number | null | undefined,
  naturalHeight: number | null | undefined,
): number | null {
  if (isPositive(displayAspect)) return displayAspect;
  if (isPositive(naturalWidth) && isPositive(naturalHeight)) return naturalWidth / naturalHeight;
  return null;
}

/**
 * The largest box of `innerAspect` (width / height) that fits centred in a box
 * of `outerAspect`, as fractions 0..1 of the outer box's width and height.
 */
export function fitAspect(outerAspect: number, innerAspect: number): Rect {
  if (!isPositive(outerAspect) || !isPositive(innerAspect)) {
    return { x: 0, y: 0, width: 1, height: 1 };
  }
  if (innerAspect >= outerAspect) {
    const height = outerAspect / innerAspect;
    return { x: 0, y: (1 - height) / 2, width: 1, height };
  }
  const width = innerAspect / outerAspect;
  return { x: (1 - width) / 2, y: 0, width, height: 1 };
}

/** `fitAspect`'s fractions as CSS `left/top/width/height` percentages. */
export function percentBox(rect: Rect): {
  left: string;
  top: string;
  width: string;
  height: string;
} {
  const pct = (v: number) => `${(v * 100).toFixed(3)}%`;
  return { left: pct(rect.x), top: pct(rect.y), width: pct(rect.width), height: pct(rect.height) };
}
