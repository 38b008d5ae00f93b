import { describe, expect, it } from "vitest";
import { playbackRequest } from "./navigation.ts";

const NOW = Date.UTC(2026, 10, 29, 18, 0, 0);
const MIN = 60_000;

describe("playbackRequest", () => {
  it("plays the last five minutes when no time is given", () => {
    expect(playbackRequest("cam-1", undefined, NOW)).toEqual({
      cameraId: "cam-1",
      startMs: NOW - 5 * MIN,
      endMs: NOW,
      seekMs: NOW - 5 * MIN,
    });
  });

  it("shows an old event with two minutes before and three after, starting 5 s before it", () => {
    const at = NOW - 60 * MIN;
    expect(playbackRequest("cam-2", new Date(at).toISOString(), NOW)).toEqual({
      cameraId: "cam-2",
      startMs: at - 2 * MIN,
      endMs: at + 3 * MIN,
      seekMs: at - 5000,
    });
  });

  it("never reaches past now for a recent event, and keeps five minutes", () => {
    const at = NOW - 30_000;
    const request = playbackRequest("cam-1", at, NOW);
    expect(request.endMs).toBe(NOW);
    expect(request.startMs).toBe(NOW - 5 * MIN);
    expect(request.seekMs).toBe(at - 5000);
  });

  it("treats an unreadable time as 'the last five minutes'", () => {
    expect(playbackRequest("cam-1", "yesterday", NOW).endMs).toBe(NOW);
  });
});
