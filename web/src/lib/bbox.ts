import type { BboxXyxy, Detection } from "../api/types.ts";

/** A rectangle in CSS pixels, origin top-left. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * Maps a normalised 0..1 xyxy box onto `content` (the drawn image, in CSS
 * pixels). The image is stretched to fill `content` (object-fit: fill), so the
 * fractions apply to its width and height as they are.
 * Corners are clamped to the image and swapped if given in the wrong order.
 */
export function bboxToRect(bbox: BboxXyxy, content: Rect): Rect {
  const [a, b, c, d] = bbox.map(clamp01) as [number, number, number, number];
  const x1 = Math.min(a, c);
  const x2 = Math.max(a, c);
  const y1 = Math.min(b, d);
  const y2 = Math.max(b, d);
  return {
    x: content.x + x1 * content.width,
    y: content.y + y1 * content.height,
    width: (x2 - x1) * content.width,
    height: (y2 - y1) * content.height,
  };
}

/** "87%" */
export function confidenceText(detection: Detection): string {
  return `${Math.round(clamp01(detection.confidence) * 100)}%`;
}

/** "person 87%" */
export function detectionLabel(detection: Detection): string {
  return `${detection.class} ${confidenceText(detection)}`;
}

export interface OverlayBox {
  key: string;
  rect: Rect;
  /** "person 87%" */
  label: string;
  /** "87%", for boxes too narrow or too crowded for the full label (the colour tells the class). */
  shortLabel: string;
  className: string;
  /** 0..1; the most confident boxes get their labels placed first. */
  confidence: number;
}

/** Boxes to draw over the image, in CSS pixels of the element that holds it. */
export function overlayBoxes(detections: readonly Detection[], content: Rect): OverlayBox[] {
  if (content.width <= 0 || content.height <= 0) return [];
  return detections.map((detection, index) => ({
    key: `${index}:${detection.track_id ?? ""}`,
    rect: bboxToRect(detection.bbox, content),
    label: detectionLabel(detection),
    shortLabel: confidenceText(detection),
    className: detection.class,
    confidence: clamp01(detection.confidence),
  }));
}

export function countPeople(detections: readonly Detection[]): number {
  return detections.filter((d) => d.class === "person").length;
}
