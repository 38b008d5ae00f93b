import { describe, expect, it } from "vitest";
import { DEFAULT_ASPECT, fitAspect, percentBox, pictureAspect } from "./aspect.ts";

describe("pictureAspect", () => {
  it.each([
    // display_aspect, natural w, h → aspect
    { display: 16 / 9, w: 960, h: 1080, expected: 16 / 9 }, // CP PLUS half-width: the server wins
    { display: 4 / 3, w: 0, h: 0, expected: 4 / 3 }, // before the picture has loaded
    { display: null, w: 960, h: 1080, expected: 960 / 1080 }, // unknown: the picture's own
    { display: null, w: 1920, h: 1080, expected: 16 / 9 },
    { display: 0, w: 800, h: 600, expected: 4 / 3 }, // nonsense from the server is ignored
    { display: Number.NaN, w: 800, h: 600, expected: 4 / 3 },
    { display: null, w: 0, h: 0, expected: null },
    { display: undefined, w: null, h: null, expected: null },
  ])("$display with $w x $h → $expected", ({ display, w, h, expected }) => {
    const aspect = pictureAspect(display, w, h);
    if (expected === null) expect(aspect).toBeNull();
    else expect(aspect).toBeCloseTo(expected, 9);
  });
});

describe("fitAspect", () => {
  it.each([
    // outer, inner → fractions of the outer box
    { outer: 16 / 9, inner: 16 / 9, expected: { x: 0, y: 0, width: 1, height: 1 } },
    // 4:3 in 16:9: pillarboxed, centred (4/3 ÷ 16/9 = 0.75 of the width).
    { outer: 16 / 9, inner: 4 / 3, expected: { x: 0.125, y: 0, width: 0.75, height: 1 } },
    // The squeezed 960x1080 shown as it arrives (when the server gives no aspect).
    { outer: 16 / 9, inner: 960 / 1080, expected: { x: 0.25, y: 0, width: 0.5, height: 1 } },
    // Wider than the box: letterboxed.
    { outer: 16 / 9, inner: 32 / 9, expected: { x: 0, y: 0.25, width: 1, height: 0.5 } },
    { outer: 16 / 9, inner: 0, expected: { x: 0, y: 0, width: 1, height: 1 } },
  ])("$inner in $outer", ({ outer, inner, expected }) => {
    const rect = fitAspect(outer, inner);
    for (const key of ["x", "y", "width", "height"] as const) {
      expect(rect[key]).toBeCloseTo(expected[key], 9);
    }
  });

  it("fills a 16:9 tile with a 16:9 display aspect, however the pixels are shaped", () => {
    const aspect = pictureAspect(16 / 9, 960, 1080) ?? DEFAULT_ASPECT;
    expect(percentBox(fitAspect(16 / 9, aspect))).toEqual({
      left: "0.000%",
      top: "0.000%",
      width: "100.000%",
      height: "100.000%",
    });
  });
});
