import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../test/fixtures.ts";
import {
  decide,
  failureReason,
  firstTransport,
  hlsForced,
  RECONNECT_AFTER_MS,
  SERVER_CLOSED,
  type Attempt,
} from "./fallback.ts";

const T0 = 1_000_000;

function attempt(overrides: Partial<Attempt> = {}): Attempt {
  return {
    transport: "webrtc",
    startedAtMs: T0,
    lastProgressAtMs: null,
    error: null,
    ...overrides,
  };
}

describe("WebRTC to HLS fallback", () => {
  it("gives WebRTC a few seconds to connect", () => {
    expect(decide(attempt(), T0 + 4999, false)).toEqual({ action: "keep" });
    expect(decide(attempt(), T0 + 5000, false)).toEqual({
      action: "switch",
      to: "hls",
      reason: "WebRTC: no connection within 5 s",
    });
  });

  it("once connected, waits longer for the first keyframe", () => {
    const connected = attempt({ connected: true });
    expect(decide(connected, T0 + 9999, false)).toEqual({ action: "keep" });
    expect(decide(connected, T0 + 10_000, false)).toEqual({
      action: "switch",
      to: "hls",
      reason: "WebRTC: no picture within 10 s",
    });
  });

  it("falls back at once when WebRTC fails", () => {
    expect(decide(attempt({ error: "503 no live source" }), T0 + 10, false)).toEqual({
      action: "switch",
      to: "hls",
      reason: "WebRTC: 503 no live source",
    });
  });

  it("reconnects by WebRTC when the server closes a stream that was playing", () => {
    const played = attempt({ error: SERVER_CLOSED, lastProgressAtMs: T0 + 2000, connected: true });
    expect(decide(played, T0 + 3000, false)).toEqual({
      action: "retry",
      to: "webrtc",
      reason: `WebRTC: ${SERVER_CLOSED}`,
      afterMs: RECONNECT_AFTER_MS,
      reconnect: true,
    });
    // The reconnect gets longer to connect (WebRTC worked here a moment ago)…
    const again = attempt({ reconnect: true });
    expect(decide(again, T0 + 14_999, false)).toEqual({ action: "keep" });
    expect(decide(again, T0 + 15_000, false)).toMatchObject({ action: "switch", to: "hls" });
    // Closed before any picture: no reconnect loop, HLS as for any other failure.
    expect(decide(attempt({ error: SERVER_CLOSED }), T0 + 10, false)).toMatchObject({
      action: "switch",
      to: "hls",
    });
  });

  it("keeps a playing stream and falls back when its picture freezes", () => {
    const playing = attempt({ lastProgressAtMs: T0 + 1000 });
    expect(decide(playing, T0 + 10_999, false)).toEqual({ action: "keep" });
    expect(decide(playing, T0 + 11_000, false)).toMatchObject({
      action: "switch",
      to: "hls",
      reason: "WebRTC: picture froze for 10 s",
    });
  });

  it("gives HLS longer for its first frame, then starts over with WebRTC after a pause", () => {
    const hls = attempt({ transport: "hls" });
    expect(decide(hls, T0 + 14_000, false)).toEqual({ action: "keep" });
    expect(decide(hls, T0 + 15_000, false)).toEqual({
      action: "retry",
      to: "webrtc",
      reason: "HLS: no picture within 15 s",
      afterMs: 5000,
    });
  });

  it("stays on HLS when HLS is forced", () => {
    expect(firstTransport(true)).toBe("hls");
    expect(firstTransport(false)).toBe("webrtc");
    expect(
      decide(attempt({ transport: "hls", error: "manifestLoadError (HTTP 404)" }), T0, true),
    ).toMatchObject({ action: "retry", to: "hls", reason: "HLS: manifestLoadError (HTTP 404)" });
  });

  it("reports no failure while things are fine", () => {
    expect(failureReason(attempt({ lastProgressAtMs: T0 }), T0 + 500)).toBeNull();
  });
});

describe("hlsForced", () => {
  it("reads ?live=hls first, then localStorage", () => {
    const storage = new MemoryStorage();
    expect(hlsForced("", storage)).toBe(false);
    expect(hlsForced("?live=hls", storage)).toBe(true);
    storage.setItem("vigil.live.transport", "hls");
    expect(hlsForced("", storage)).toBe(true);
    expect(hlsForced("?live=webrtc", storage)).toBe(false);
    expect(hlsForced("", null)).toBe(false);
  });
});
