/**
 * Opening the video views from anywhere in the dashboard. Other views (alerts,
 * events) call `useOpenPlayback()` and then `openPlayback(cameraId, at)` to
 * show a camera's recording around an event; with no `at` it plays the last
 * five minutes.
 */
import { createContext, useCallback, useContext, useMemo, useState } from "react";

export const LAST_MINUTES_MS = 5 * 60_000;
/** An event is shown with this much before and after it. */
const BEFORE_EVENT_MS = 2 * 60_000;
const AFTER_EVENT_MS = 3 * 60_000;
/** Playback of an event starts a little before it. */
const LEAD_IN_MS = 5000;

export interface PlaybackRequest {
  cameraId: string;
  /** The time window shown, epoch ms. */
  startMs: number;
  endMs: number;
  /** Where to start playing, epoch ms (inside the window). */
  seekMs: number;
}

/** `at`: epoch ms, an ISO string or a Date; omitted = the last five minutes. */
export type OpenPlayback = (cameraId: string, at?: number | string | Date) => void;

export interface VideoNavigation {
  openCamera: (cameraId: string) => void;
  openPlayback: OpenPlayback;
}

export const VideoNavigationContext = createContext<VideoNavigation | null>(null);

/** `openPlayback` of the dashboard; throws outside it (a wiring mistake). */
export function useOpenPlayback(): OpenPlayback {
  const nav = useContext(VideoNavigationContext);
  if (nav === null)
    throw new Error("useOpenPlayback() needs the dashboard's VideoNavigationContext");
  return nav.openPlayback;
}

function toMs(at: number | string | Date): number {
  if (typeof at === "number") return at;
  if (typeof at === "string") return Date.parse(at);
  return at.getTime();
}

/** The window and start time for playing `cameraId` at `at` (or the last 5 minutes) at `nowMs`. */
export function playbackRequest(
  cameraId: string,
  at: number | string | Date | undefined,
  nowMs: number,
): PlaybackRequest {
  const atMs = at === undefined ? Number.NaN : toMs(at);
  if (!Number.isFinite(atMs)) {
    const startMs = nowMs - LAST_MINUTES_MS;
    return { cameraId, startMs, endMs: nowMs, seekMs: startMs };
  }
  const endMs = Math.min(nowMs, atMs + AFTER_EVENT_MS);
  const startMs = Math.min(atMs - BEFORE_EVENT_MS, endMs - LAST_MINUTES_MS);
  return { cameraId, startMs, endMs, seekMs: Math.max(startMs, atMs - LEAD_IN_MS) };
}

/**
 * State of the video views for the dashboard: which camera the single view
 * shows and what the playback view plays. `show` switches the dashboard's view.
 */
export function useVideoNavigation(show: (view: "camera" | "playback") => void) {
  const [cameraId, setCameraId] = useState<string | null>(null);
  const [playback, setPlayback] = useState<PlaybackRequest | null>(null);
  const openCamera = useCallback(
    (id: string) => {
      setCameraId(id);
      show("camera");
    },
    [show],
  );
  const openPlayback = useCallback<OpenPlayback>(
    (id, at) => {
      setPlayback(playbackRequest(id, at, Date.now()));
      show("playback");
    },
    [show],
  );
  const value = useMemo(() => ({ openCamera, openPlayback }), [openCamera, openPlayback]);
  return { value, cameraId, playback, setPlayback };
}
