import type { LevelLoadedData } from "hls.js";
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { useServices } from "../context.ts";
import { vodUrl } from "../api/video.ts";
import type { PlaybackRequest } from "./navigation.ts";
import { startHls } from "./players.ts";
import { mediaToWall, wallToMedia, type VodFragment } from "./vod.ts";

export interface VodState {
  /** Wall-clock time of the frame on screen (epoch ms), or null before playback. */
  playheadMs: number | null;
  /** The playlist has been read (fragments known). */
  ready: boolean;
  error: string | null;
  /** Play from wall-clock `atMs` (a time in a gap plays from the next recording). */
  seek: (atMs: number) => void;
}

function fragmentsOf(data: LevelLoadedData): VodFragment[] {
  // EXT-X-GAP entries (no recording) are left out: a time in one maps to the next recording.
  return data.details.fragments.flatMap((frag) =>
    frag.programDateTime === null || frag.gap === true
      ? []
      : [{ startS: frag.start, durationS: frag.duration, programDateTimeMs: frag.programDateTime }],
  );
}

/**
 * Plays `request`'s camera over its window from the VOD playlist (hls.js) in
 * `videoRef`, starting at `request.seekMs`; reports the wall-clock time shown.
 */
export function useVodPlayer(
  videoRef: RefObject<HTMLVideoElement | null>,
  request: PlaybackRequest | null,
): VodState {
  const { sessions } = useServices();
  const fragmentsRef = useRef<VodFragment[]>([]);
  const [playheadMs, setPlayheadMs] = useState<number | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const seek = useCallback(
    (atMs: number) => {
      const video = videoRef.current;
      const mediaS = wallToMedia(fragmentsRef.current, atMs);
      if (video === null || mediaS === null) return;
      video.currentTime = mediaS;
      video.play().catch(() => undefined);
    },
    [videoRef],
  );

  useEffect(() => {
    const video = videoRef.current;
    if (video === null || request === null) return;
    fragmentsRef.current = [];
    setReady(false);
    setError(null);
    setPlayheadMs(null);
    let started = false;
    const player = startHls(
      vodUrl(request.cameraId, request.startMs, request.endMs),
      video,
      sessions.token,
      {
        onError: (reason) => {
          setError(
            reason.includes("HTTP 404") ? "No recordings of this camera in this window." : reason,
          );
        },
      },
      {
        live: false,
        // Loading starts once the playlist says where `seekMs` is (a leading gap can be minutes).
        config: { autoStartLoad: false },
        onReady: (hls, HlsJs) => {
          hls.on(HlsJs.Events.LEVEL_LOADED, (_event, data) => {
            fragmentsRef.current = fragmentsOf(data);
            setReady(true);
            if (!started) {
              started = true;
              hls.startLoad(wallToMedia(fragmentsRef.current, request.seekMs) ?? 0);
            }
          });
        },
      },
    );
    const onTime = () => {
      setPlayheadMs(mediaToWall(fragmentsRef.current, video.currentTime));
    };
    video.addEventListener("timeupdate", onTime);
    return () => {
      video.removeEventListener("timeupdate", onTime);
      player.close();
    };
  }, [videoRef, request, sessions]);

  return { playheadMs, ready, error, seek };
}
