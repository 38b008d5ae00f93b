import { describe, expect, it } from "vitest";
import { coveragePercent, markerPercent, mergeSpans, toPercent } from "./timeline.ts";

const H = 3_600_000;

describe("mergeSpans", () => {
  it("joins touching, overlapping and nearly touching segments and sorts them", () => {
    const spans = mergeSpans(
      [
        { startMs: 20_000, endMs: 30_000 },
        { startMs: 0, endMs: 10_000 },
        { startMs: 11_000, endMs: 20_000 }, // 1 s jitter: same span
        { startMs: 25_000, endMs: 28_000 }, // inside
        { startMs: 60_000, endMs: 70_000 }, // 30 s gap: a new span
      ],
      0,
      H,
    );
    expect(spans).toEqual([
      { startMs: 0, endMs: 30_000 },
      { startMs: 60_000, endMs: 70_000 },
    ]);
  });

  it("clips to the window and drops what lies outside it", () => {
    expect(
      mergeSpans(
        [
          { startMs: -5000, endMs: 5000 },
          { startMs: H - 1000, endMs: H + 5000 },
          { startMs: H + 10, endMs: H + 20 },
        ],
        0,
        H,
      ),
    ).toEqual([
      { startMs: 0, endMs: 5000 },
      { startMs: H - 1000, endMs: H },
    ]);
  });
});

describe("bar geometry", () => {
  it("places spans and markers in percent of the window", () => {
    expect(toPercent({ startMs: 6 * H, endMs: 12 * H }, 0, 24 * H)).toMatchObject({
      left: 25,
      width: 25,
    });
    expect(markerPercent(18 * H, 0, 24 * H)).toBe(75);
    expect(markerPercent(24 * H, 0, 24 * H)).toBeNull();
    expect(markerPercent(-1, 0, 24 * H)).toBeNull();
  });

  it("measures coverage only up to now", () => {
    const spans = [{ startMs: 0, endMs: H }];
    // Two hours of the day have passed, one was recorded.
    expect(coveragePercent(spans, 0, 24 * H, 2 * H)).toBe(50);
    expect(coveragePercent(spans, 0, 24 * H, 0)).toBe(0);
  });
});
