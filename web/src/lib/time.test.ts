import { describe, expect, it } from "vitest";
import { formatAbsolute, formatRelative, parseTimeMs } from "./time.ts";

const NOW = Date.parse("2025-03-10T12:00:00Z");

describe("formatRelative", () => {
  it.each([
    [0, "just now"],
    [1.9, "just now"],
    [-30, "just now"], // server clock slightly ahead
    [2, "2s ago"],
    [59, "59s ago"],
    [60, "1m ago"],
    [59 * 60 + 59, "59m ago"],
    [3600, "1h ago"],
    [47 * 3600, "47h ago"],
    [48 * 3600, "2d ago"],
    [10 * 86400, "10d ago"],
  ])("%ss before now → %s", (secondsAgo, expected) => {
    expect(formatRelative(NOW - secondsAgo * 1000, NOW)).toBe(expected);
  });
});

describe("formatAbsolute", () => {
  it("shows only the time of day for today, and adds the date otherwise", () => {
    const now = new Date(2025, 2, 10, 23, 0, 0).getTime(); // local time
    const today = new Date(2025, 2, 10, 22, 15, 30).getTime();
    const yesterday = new Date(2025, 2, 9, 22, 15, 30).getTime();
    const todayText = formatAbsolute(today, now);
    const yesterdayText = formatAbsolute(yesterday, now);
    expect(todayText).toMatch(/15/);
    expect(todayText).not.toMatch(/Mar/);
    expect(yesterdayText).toMatch(/Mar/);
    expect(yesterdayText).toMatch(/9/);
  });
});

describe("parseTimeMs", () => {
  it("parses ISO-8601 UTC and rejects junk", () => {
    expect(parseTimeMs("2025-03-10T12:00:00Z")).toBe(NOW);
    expect(parseTimeMs("2025-03-10T12:00:00+00:00")).toBe(NOW);
    expect(parseTimeMs(null)).toBeNull();
    expect(parseTimeMs("yesterday")).toBeNull();
  });
});
