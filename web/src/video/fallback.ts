/**
 * When a live player gives up on a transport. Tiles try WebRTC first (under a
 * second behind) and fall back to HLS when WebRTC fails or shows no picture
 * within a few seconds; a failing HLS player starts over after a pause.
 */

export type Transport = "webrtc" | "hls";

export interface Attempt {
  transport: Transport;
  /** Epoch ms the attempt started. */
  startedAtMs: number;
  /** Epoch ms the video last advanced (a new frame), or null before the first. */
  lastProgressAtMs: number | null;
  /** Why the transport failed (connection refused, fatal HLS error …), or null. */
  error: string | null;
  /** WebRTC: the peer connection is up (a picture should follow at the next keyframe). */
  connected?: boolean;
  /** WebRTC again after the server closed a stream that played: it works here, so wait longer. */
  reconnect?: boolean;
}

export interface FallbackTimings {
  /** WebRTC must connect within this long… */
  webrtcConnectMs: number;
  /** …or this long when reconnecting a stream the server closed (a busy server, not a
   *  network that blocks WebRTC). */
  webrtcReconnectMs: number;
  /** …and, once connected, show a first frame (it waits for a keyframe) within this long. */
  webrtcFirstFrameMs: number;
  /** HLS needs a playlist, a segment and a buffer: longer. */
  hlsFirstFrameMs: number;
  /** A picture that stops advancing this long counts as failed. */
  stallMs: number;
  /** Pause before starting over after HLS failed too. */
  retryAfterMs: number;
}

export const DEFAULT_TIMINGS: FallbackTimings = {
  webrtcConnectMs: 5000,
  webrtcReconnectMs: 15_000,
  webrtcFirstFrameMs: 10_000,
  hlsFirstFrameMs: 15_000,
  stallMs: 10_000,
  retryAfterMs: 5000,
};

/**
 * The error of a WebRTC player whose connection the server closed: the camera
 * moved to another source (or went away), so a new connection is what to try.
 */
export const SERVER_CLOSED = "connection closed by the server";

/** Pause before reconnecting a WebRTC stream the server closed while it played. */
export const RECONNECT_AFTER_MS = 500;

export type Decision =
  | { action: "keep" }
  | { action: "switch"; to: Transport; reason: string }
  /** Show `reason`, wait `afterMs`, then start over with `to` (`reconnect`: see Attempt). */
  | { action: "retry"; to: Transport; reason: string; afterMs: number; reconnect?: boolean };

/** The transport to start with: WebRTC unless HLS is forced (browser setting or test switch). */
export function firstTransport(forceHls: boolean): Transport {
  return forceHls ? "hls" : "webrtc";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Why `attempt` has failed at `nowMs`, or null while it is fine (or still has time). */
export function failureReason(
  attempt: Attempt,
  nowMs: number,
  timings: FallbackTimings = DEFAULT_TIMINGS,
): string | null {
  if (attempt.error !== null) return attempt.error;
  if (attempt.lastProgressAtMs === null) {
    const elapsedMs = nowMs - attempt.startedAtMs;
    if (attempt.transport === "webrtc" && attempt.connected !== true) {
      const limit =
        attempt.reconnect === true ? timings.webrtcReconnectMs : timings.webrtcConnectMs;
      return elapsedMs >= limit ? `no connection within ${seconds(limit)}` : null;
    }
    const limit =
      attempt.transport === "webrtc" ? timings.webrtcFirstFrameMs : timings.hlsFirstFrameMs;
    return elapsedMs >= limit ? `no picture within ${seconds(limit)}` : null;
  }
  return nowMs - attempt.lastProgressAtMs >= timings.stallMs
    ? `picture froze for ${seconds(nowMs - attempt.lastProgressAtMs)}`
    : null;
}

/**
 * What to do with the running attempt: keep it, fall back from WebRTC to HLS,
 * or (HLS failed too) wait and start over with the first transport.
 */
export function decide(
  attempt: Attempt,
  nowMs: number,
  forceHls: boolean,
  timings: FallbackTimings = DEFAULT_TIMINGS,
): Decision {
  const reason = failureReason(attempt, nowMs, timings);
  if (reason === null) return { action: "keep" };
  const label = attempt.transport === "webrtc" ? "WebRTC" : "HLS";
  const played = attempt.lastProgressAtMs !== null;
  if (attempt.transport === "webrtc" && attempt.error === SERVER_CLOSED && played) {
    // It played until the server closed it: reconnect, to the camera's new source.
    return {
      action: "retry",
      to: "webrtc",
      reason: `${label}: ${reason}`,
      afterMs: RECONNECT_AFTER_MS,
      reconnect: true,
    };
  }
  if (attempt.transport === "webrtc") {
    return { action: "switch", to: "hls", reason: `${label}: ${reason}` };
  }
  return {
    action: "retry",
    to: firstTransport(forceHls),
    reason: `${label}: ${reason}`,
    afterMs: timings.retryAfterMs,
  };
}

const STORAGE_KEY = "vigil.live.transport";

/**
 * HLS only, when asked: `?live=hls` in the address or `localStorage
 * "vigil.live.transport" = "hls"` (networks that block WebRTC; browser tests).
 */
export function hlsForced(search: string, storage: Storage | null): boolean {
  const fromQuery = new URLSearchParams(search).get("live");
  if (fromQuery !== null) return fromQuery === "hls";
  try {
    return storage?.getItem(STORAGE_KEY) === "hls";
  } catch {
    return false;
  }
}

/** The browser's localStorage, or null where it is unavailable (private mode, tests). */
export function localStore(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

/** `hlsForced` for this page (read once per call; the switch needs a reload to change). */
export function pageForcesHls(): boolean {
  return hlsForced(typeof location === "undefined" ? "" : location.search, localStore());
}
