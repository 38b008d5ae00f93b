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
 * Where an image of `naturalWidth` x `naturalHeight` is drawn inside a box of
 * `boxWidth` x `boxHeight` CSS pixels by `object-fit: contain` (centred, letterboxed).
 */
export function containRect(
  boxWidth: number,
  boxHeight: number,
  naturalWidth: number,
  naturalHeight: number,
): Rect {
  if (boxWidth <= 0 || boxHeight <= 0 || naturalWidth <= 0 || naturalHeight <= 0) {
    return { x: 0, y: 0, width: 0, height: 0 };
  }
  const scale = Math.min(boxWidth / naturalWidth, boxHeight / naturalHeight);
  const width = naturalWidth * scale;
  const height = naturalHeight * scale;
  return { x: (boxWidth - width) / 2, y: (boxHeight - height) / 2, width, height };
}

/**
 * Maps a normalised 0..1 xyxy box onto `content` (the drawn image, in CSS pixels).
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

/** "person 87%" */
export function detectionLabel(detection: Detection): string {
  return `${detection.class} ${Math.round(clamp01(detection.confidence) * 100)}%`;
}

export interface OverlayBox {
  key: string;
  rect: Rect;
  label: string;
  className: string;
}

/** Boxes to draw over the image, in CSS pixels of the element that holds it. */
export function overlayBoxes(detections: readonly Detection[], content: Rect): OverlayBox[] {
  if (content.width <= 0 || content.height <= 0) return [];
  return detections.map((detection, index) => ({
    key: `${index}:${detection.track_id ?? ""}`,
    rect: bboxToRect(detection.bbox, content),
    label: detectionLabel(detection),
    className: detection.class,
  }));
}

export function countPeople(detections: readonly Detection[]): number {
  return detections.filter((d) => d.class === "person").length;
}
