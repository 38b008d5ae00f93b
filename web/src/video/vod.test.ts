import { describe, expect, it } from "vitest";
import { mediaToWall, wallToMedia, type VodFragment } from "./vod.ts";

const T = Date.UTC(2026, 10, 29, 12, 0, 0);
// Two 10 s segments, a 30 s gap, then one more: 30 s of media over 70 s of wall time.
const FRAGS: VodFragment[] = [
  { startS: 0, durationS: 10, programDateTimeMs: T },
  { startS: 10, durationS: 10, programDateTimeMs: T + 10_000 },
  { startS: 20, durationS: 10, programDateTimeMs: T + 60_000 },
];

describe("VOD time mapping", () => {
  it("maps media time to the wall clock of each segment", () => {
    expect(mediaToWall(FRAGS, 0)).toBe(T);
    expect(mediaToWall(FRAGS, 12.5)).toBe(T + 12_500);
    // After the gap, wall time jumps ahead.
    expect(mediaToWall(FRAGS, 21)).toBe(T + 61_000);
    expect(mediaToWall(FRAGS, 30)).toBe(T + 70_000);
    expect(mediaToWall(FRAGS, 31)).toBeNull();
  });

  it("maps wall time to media time, a time in a gap to the next recording", () => {
    expect(wallToMedia(FRAGS, T + 15_000)).toBe(15);
    expect(wallToMedia(FRAGS, T + 30_000)).toBe(20);
    expect(wallToMedia(FRAGS, T - 5000)).toBe(0);
    expect(wallToMedia(FRAGS, T + 65_000)).toBe(25);
    expect(wallToMedia(FRAGS, T + 80_000)).toBeNull();
    expect(wallToMedia([], T)).toBeNull();
  });
});
