import { describe, expect, it } from "vitest";
import {
  gapsIn,
  layoutTimeline,
  mergeRanges,
  orderedRange,
  ticks,
  timeToX,
  xToTime,
} from "./timeline.ts";

const S = 1000;
const W = { startMs: 0, endMs: 300 * S }; // a 5-minute window
const r = (a: number, b: number) => ({ startMs: a * S, endMs: b * S });

describe("mergeRanges", () => {
  it("joins 10 s segments that touch or are a frame apart, keeps real holes", () => {
    expect(mergeRanges([r(20, 30), r(0, 10), r(10.04, 20), r(45, 55)])).toEqual([
      r(0, 30),
      r(45, 55),
    ]);
  });

  it("drops empty and reversed ranges and merges overlaps", () => {
    expect(mergeRanges([r(5, 5), r(9, 3), r(0, 10), r(4, 12)])).toEqual([r(0, 12)]);
  });
});

describe("gapsIn", () => {
  it("is the window minus the coverage", () => {
    expect(gapsIn(W, [r(0, 100), r(160, 250)])).toEqual([r(100, 160), r(250, 300)]);
    expect(gapsIn(W, [])).toEqual([W]);
    expect(gapsIn(W, [r(0, 300)])).toEqual([]);
  });
});

describe("time <-> x", () => {
  it("maps the window onto the bar and back", () => {
    expect(timeToX(150 * S, W, 600)).toBe(300);
    expect(xToTime(300, W, 600)).toBe(150 * S);
    expect(xToTime(-20, W, 600)).toBe(0);
    expect(xToTime(900, W, 600)).toBe(300 * S);
    expect(xToTime(10, W, 0)).toBe(0);
  });

  it("round-trips within a pixel's worth of time", () => {
    const window = { startMs: 1_764_400_000_000, endMs: 1_764_400_300_000 };
    for (const x of [0, 1, 123.5, 599, 600]) {
      expect(timeToX(xToTime(x, window, 600), window, 600)).toBeCloseTo(x, 2);
    }
  });
});

describe("layoutTimeline", () => {
  const recordings = [r(-30, 10), r(10, 20), r(20, 100), r(160, 170), r(170, 400)];
  const events = [
    { id: "e2", atMs: 200 * S, type: "person", severity: "high" },
    { id: "e1", atMs: 50 * S, type: "zone_intrusion", severity: "critical" },
    { id: "old", atMs: -5 * S, type: "person", severity: "low" },
  ];
  const layout = layoutTimeline(W, recordings, events, 600);

  it("draws coverage clipped to the window, in pixels", () => {
    expect(layout.covered).toEqual([
      { ...r(0, 100), x: 0, width: 200 },
      { ...r(160, 300), x: 320, width: 280 },
    ]);
  });

  it("draws the gap between recordings as a gap", () => {
    expect(layout.gaps).toEqual([{ ...r(100, 160), x: 200, width: 120 }]);
    expect(layout.coverage).toBeCloseTo(240 / 300);
  });

  it("places events in time order, leaving out those outside the window", () => {
    expect(layout.events.map((e) => [e.id, e.x])).toEqual([
      ["e1", 100],
      ["e2", 400],
    ]);
  });

  it("covers nothing when nothing was recorded", () => {
    const empty = layoutTimeline(W, [], [], 600);
    expect(empty.covered).toEqual([]);
    expect(empty.gaps).toEqual([{ ...W, x: 0, width: 600 }]);
    expect(empty.coverage).toBe(0);
  });
});

describe("orderedRange and ticks", () => {
  it("orders a drag to the left", () => {
    expect(orderedRange(90, 30)).toEqual({ startMs: 30, endMs: 90 });
  });

  it("spaces ticks at least the asked distance apart on round times", () => {
    const marks = ticks(W, 600, 80);
    expect(marks).toEqual([0, 60 * S, 120 * S, 180 * S, 240 * S, 300 * S]);
  });
});
