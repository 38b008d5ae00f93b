import { describe, expect, it } from "vitest";
import {
  formatDuration,
  heatCells,
  heatColour,
  layoutBars,
  niceMax,
  rankedBars,
} from "./binning.ts";

describe("niceMax", () => {
  it.each([
    [[], 1],
    [[0, 0], 1],
    [[1], 1],
    [[3], 5],
    [[7, 2], 10],
    [[11], 20],
    [[250], 500],
    [[1000], 1000],
    [[Number.NaN, 4], 5],
  ])("%j → %d", (values, expected) => {
    expect(niceMax(values)).toBe(expected);
  });
});

describe("layoutBars", () => {
  it("scales bars to the axis and keeps small non-zero values visible", () => {
    const bars = layoutBars(
      [
        { label: "a", value: 10 },
        { label: "b", value: 0 },
        { label: "c", value: 0.01 },
        { label: "d", value: 5 },
      ],
      400,
      100,
      10,
      4,
    );
    expect(bars.map((b) => b.height)).toEqual([100, 0, 1, 50]);
    expect(bars.map((b) => b.y)).toEqual([0, 100, 99, 50]);
    expect(bars.map((b) => b.x)).toEqual([2, 102, 202, 302]);
    expect(bars[0]?.width).toBe(96);
  });

  it("never draws past the top when a value exceeds the axis", () => {
    expect(layoutBars([{ label: "a", value: 50 }], 10, 100, 10)[0]?.height).toBe(100);
  });
});

describe("rankedBars", () => {
  it("sorts largest first and folds the tail into 'other'", () => {
    expect(rankedBars({ b: 2, a: 2, c: 9, d: 1, e: 1 }, 3)).toEqual([
      { label: "c", value: 9 },
      { label: "a", value: 2 },
      { label: "other", value: 4 },
    ]);
  });
});

describe("heat map", () => {
  it("keeps only occupied cells, relative to the busiest", () => {
    expect(
      heatCells([
        [0, 2],
        [4, 0],
      ]),
    ).toEqual([
      { row: 0, col: 1, count: 2, intensity: 0.5 },
      { row: 1, col: 0, count: 4, intensity: 1 },
    ]);
    expect(heatCells([[0, 0]])).toEqual([]);
  });

  it("runs from translucent blue to opaque red, clamped", () => {
    expect(heatColour(0)).toBe("hsla(220, 100%, 50%, 0.25)");
    expect(heatColour(1)).toBe("hsla(0, 100%, 50%, 0.75)");
    expect(heatColour(7)).toBe(heatColour(1));
  });
});

describe("formatDuration", () => {
  it.each([
    [45, "45 s"],
    [120, "2 min"],
    [125, "2 min 5 s"],
    [3780, "1 h 3 min"],
  ])("%d s → %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});
