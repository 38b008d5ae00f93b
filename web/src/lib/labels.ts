import type { OverlayBox, Rect } from "./bbox.ts";

/** Size of a label chip, in CSS pixels (12 px bold text). */
export interface LabelStyle {
  heightPx: number;
  /** Width of one character; a generous estimate, so chips never clip text. */
  charWidthPx: number;
  paddingPx: number;
}

export const LABEL_STYLE: LabelStyle = { heightPx: 18, charWidthPx: 7, paddingPx: 4 };

export interface PlacedLabel {
  text: string;
  /** The chip, in the same CSS pixels as the boxes. */
  rect: Rect;
}

export function labelWidth(text: string, style: LabelStyle = LABEL_STYLE): number {
  return text.length * style.charWidthPx + 2 * style.paddingPx;
}

function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Chips for one box, best first: above its top edge, inside it, below it. */
function* candidates(
  box: OverlayBox,
  width: number,
  height: number,
  style: LabelStyle,
): Generator<PlacedLabel> {
  const full = labelWidth(box.label, style);
  // A box narrower than its full label gets the short one: long chips are what pile up.
  const texts = full <= box.rect.width ? [box.label, box.shortLabel] : [box.shortLabel];
  for (const text of texts) {
    const w = labelWidth(text, style);
    if (w > width) continue;
    const x = Math.min(Math.max(0, box.rect.x), width - w);
    const chip = (y: number): PlacedLabel => ({
      text,
      rect: { x, y, width: w, height: style.heightPx },
    });
    if (box.rect.y - style.heightPx >= 0) yield chip(box.rect.y - style.heightPx);
    if (box.rect.y + style.heightPx <= height) yield chip(box.rect.y);
    const below = box.rect.y + box.rect.height;
    if (below + style.heightPx <= height) yield chip(below);
  }
}

/**
 * Places one label chip per box inside a `width` x `height` picture so that no
 * two chips overlap. The most confident boxes choose first; a box whose every
 * spot is taken is left unlabelled (its outline still shows). Returns the
 * chips in the order of `boxes`, null where a box has none.
 */
export function placeLabels(
  boxes: readonly OverlayBox[],
  width: number,
  height: number,
  style: LabelStyle = LABEL_STYLE,
): (PlacedLabel | null)[] {
  const placed: Rect[] = [];
  const result: (PlacedLabel | null)[] = boxes.map(() => null);
  const order = boxes
    .map((box, index) => ({ box, index }))
    .sort((a, b) => b.box.confidence - a.box.confidence || a.index - b.index);
  for (const { box, index } of order) {
    for (const label of candidates(box, width, height, style)) {
      if (placed.some((other) => intersects(other, label.rect))) continue;
      placed.push(label.rect);
      result[index] = label;
      break;
    }
  }
  return result;
}
