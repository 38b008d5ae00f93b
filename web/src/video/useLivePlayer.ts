import { useEffect, useRef, useState, type RefObject } from "react";
import { useServices } from "../context.ts";
import type { StreamName } from "../api/types.ts";
import { decide, firstTransport, type Attempt, type Transport } from "./fallback.ts";
import { startLiveHls, startWebRtc, type Latency, type PlayerHandle } from "./players.ts";

export type LivePhase = "idle" | "connecting" | "playing" | "waiting";

export interface LiveState {
  transport: Transport;
  phase: LivePhase;
  /** Why the last attempt failed (shown while falling back or waiting to retry). */
  reason: string | null;
  /** Why this transport is playing instead of WebRTC (kept while it plays), or null. */
  fellBackBecause: string | null;
  latency: Latency | null;
}

const CHECK_EVERY_MS = 1000;

/**
 * Plays a camera's live `stream` in the <video> of `videoRef` while `enabled`:
 * WebRTC first, HLS when WebRTC fails or shows nothing within a few seconds
 * (see fallback.ts), starting over after a pause when HLS fails too. Disabling
 * (tile scrolled away, tab hidden) or unmounting closes the player.
 */
export function useLivePlayer(
  videoRef: RefObject<HTMLVideoElement | null>,
  cameraId: string,
  stream: StreamName,
  enabled: boolean,
  forceHls: boolean,
): LiveState {
  const { api, sessions } = useServices();
  const [run, setRun] = useState<{ transport: Transport; n: number; reconnect: boolean }>(() => ({
    transport: firstTransport(forceHls),
    n: 0,
    reconnect: false,
  }));
  const [state, setState] = useState<LiveState>({
    transport: run.transport,
    phase: "idle",
    reason: null,
    fellBackBecause: null,
    latency: null,
  });
  const reasonRef = useRef<string | null>(null);

  useEffect(() => {
    const video = videoRef.current;
    if (!enabled || video === null) {
      setState((s) => ({ ...s, phase: "idle", latency: null }));
      return;
    }
    const transport = run.transport;
    const attempt: Attempt = {
      transport,
      reconnect: run.reconnect,
      startedAtMs: Date.now(),
      lastProgressAtMs: null,
      error: null,
    };
    let lastTime = -1;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    setState({
      transport,
      phase: "connecting",
      reason: reasonRef.current,
      fellBackBecause: transport === "hls" ? reasonRef.current : null,
      latency: null,
    });
    const callbacks = {
      onError: (reason: string) => {
        attempt.error ??= reason;
      },
      onConnected: () => {
        attempt.connected = true;
      },
    };
    const player: PlayerHandle =
      transport === "webrtc"
        ? startWebRtc(api, video, cameraId, stream, callbacks)
        : startLiveHls(api, video, cameraId, sessions.token, callbacks);
    const onProgress = () => {
      if (video.currentTime !== lastTime && video.readyState >= 2) {
        lastTime = video.currentTime;
        if (attempt.lastProgressAtMs === null) {
          reasonRef.current = null;
          setState((s) => ({ ...s, phase: "playing", reason: null }));
        }
        attempt.lastProgressAtMs = Date.now();
      }
    };
    video.addEventListener("timeupdate", onProgress);
    const timer = setInterval(() => {
      if (retryTimer !== null) return;
      onProgress();
      const decision = decide(attempt, Date.now(), forceHls);
      if (decision.action === "keep") {
        if (attempt.lastProgressAtMs !== null) {
          void player.latency().then((latency) => {
            setState((s) => (s.transport === transport ? { ...s, latency } : s));
          });
        }
        return;
      }
      player.close();
      reasonRef.current = decision.reason;
      if (decision.action === "switch") {
        setRun((r) => ({ transport: decision.to, n: r.n + 1, reconnect: false }));
        return;
      }
      setState((s) => ({ ...s, phase: "waiting", reason: decision.reason, latency: null }));
      retryTimer = setTimeout(() => {
        setRun((r) => ({
          transport: decision.to,
          n: r.n + 1,
          reconnect: decision.reconnect === true,
        }));
      }, decision.afterMs);
    }, CHECK_EVERY_MS);
    return () => {
      clearInterval(timer);
      if (retryTimer !== null) clearTimeout(retryTimer);
      video.removeEventListener("timeupdate", onProgress);
      player.close();
    };
  }, [api, sessions, videoRef, cameraId, stream, enabled, forceHls, run]);

  return state;
}
