import { describe, expect, it } from "vitest";
import { makeDetection } from "../test/fixtures.ts";
import { overlayBoxes, type Rect } from "./bbox.ts";
import { LABEL_STYLE, labelWidth, placeLabels, type PlacedLabel } from "./labels.ts";

const FRAME = { x: 0, y: 0, width: 640, height: 360 };

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function placed(labels: (PlacedLabel | null)[]): PlacedLabel[] {
  return labels.filter((l): l is PlacedLabel => l !== null);
}

describe("placeLabels", () => {
  it("puts a lone wide box's full label just above it", () => {
    const boxes = overlayBoxes([makeDetection({ bbox: [0.25, 0.5, 0.5, 1] })], FRAME);
    expect(placeLabels(boxes, 640, 360)).toEqual([
      {
        text: "person 87%",
        rect: {
          x: 160,
          y: 180 - LABEL_STYLE.heightPx,
          width: labelWidth("person 87%"),
          height: 18,
        },
      },
    ]);
  });

  it("goes inside the box top when there is no room above", () => {
    const boxes = overlayBoxes([makeDetection({ bbox: [0.25, 0, 0.5, 1] })], FRAME);
    expect(placeLabels(boxes, 640, 360)[0]?.rect.y).toBe(0);
  });

  it("gives a box narrower than its label the short one", () => {
    // 0.05 of 640 = 32 px, less than "person 87%" needs.
    const boxes = overlayBoxes([makeDetection({ bbox: [0.5, 0.5, 0.55, 1] })], FRAME);
    expect(placeLabels(boxes, 640, 360)[0]?.text).toBe("87%");
  });

  it("never lets labels of people standing close together overlap", () => {
    // Five people shoulder to shoulder, heads at nearly the same height.
    const crowd = [0.3, 0.34, 0.38, 0.42, 0.46].map((x, i) =>
      makeDetection({ bbox: [x, 0.4 + i * 0.01, x + 0.06, 0.95], confidence: 0.6 + i * 0.05 }),
    );
    const labels = placed(placeLabels(overlayBoxes(crowd, FRAME), 640, 360));
    expect(labels.length).toBeGreaterThanOrEqual(3);
    for (const [i, a] of labels.entries()) {
      for (const b of labels.slice(i + 1)) expect(overlaps(a.rect, b.rect)).toBe(false);
    }
  });

  it("labels the most confident first and leaves a box unlabelled when no spot is free", () => {
    // Two identical boxes: only so many spots, the confident one chooses first.
    const boxes = overlayBoxes(
      [
        makeDetection({ bbox: [0.5, 0.5, 0.53, 0.6], confidence: 0.5 }),
        makeDetection({ bbox: [0.5, 0.5, 0.53, 0.6], confidence: 0.9 }),
        makeDetection({ bbox: [0.5, 0.5, 0.53, 0.6], confidence: 0.7 }),
        makeDetection({ bbox: [0.5, 0.5, 0.53, 0.6], confidence: 0.6 }),
      ],
      FRAME,
    );
    const labels = placeLabels(boxes, 640, 360);
    expect(labels[1]?.rect.y).toBe(180 - 18); // the 90% box got the best spot, above
    expect(labels[1]?.text).toBe("90%");
    expect(labels.filter((l) => l === null)).toHaveLength(1); // above, inside, below: 3 spots
  });

  it("keeps labels inside the picture", () => {
    const boxes = overlayBoxes([makeDetection({ bbox: [0.95, 0.5, 1, 1], class: "car" })], FRAME);
    const [label] = placeLabels(boxes, 640, 360);
    expect(label).not.toBeNull();
    expect((label?.rect.x ?? 0) + (label?.rect.width ?? 0)).toBeLessThanOrEqual(640);
  });
});
