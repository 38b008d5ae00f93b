import { useRef } from "react";
import type { Camera } from "../api/types.ts";
import { countPeople } from "../lib/bbox.ts";
import { formatFull, formatRelative, parseTimeMs } from "../lib/time.ts";
import { LatencyBadge, LivePicture } from "../video/LivePicture.tsx";
import { useLivePlayer } from "../video/useLivePlayer.ts";
import { useInView, usePageVisible } from "../video/visibility.ts";
import { Pill } from "./Pill.tsx";
import { cameraStatusInfo } from "./styles.ts";

/** A frame older than this on an online camera is flagged as stale. */
const STALE_AFTER_MS = 15_000;
/** Every tile's frame is 16:9 (`aspect-video`), so the grid stays even. */
const TILE_ASPECT = 16 / 9;

/**
 * One camera in the live grid: its sub-stream (WebRTC, else HLS) with the
 * latest detections, status and time behind live. The player runs only while
 * the tile is on screen and the tab is visible. Activating the picture opens
 * the single-camera view.
 */
export function CameraTile({
  camera,
  nowMs,
  forceHls,
  onOpen,
}: {
  camera: Camera;
  nowMs: number;
  forceHls: boolean;
  onOpen: (cameraId: string) => void;
}) {
  const online = camera.status === "online";
  const tileRef = useRef<HTMLElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const inView = useInView(tileRef);
  const pageVisible = usePageVisible();
  const live = useLivePlayer(videoRef, camera.id, "sub", online && inView && pageVisible, forceHls);
  const status = cameraStatusInfo(camera.status);
  const people = countPeople(camera.detections);
  const lastFrameMs = parseTimeMs(camera.last_frame_at);
  const stale = online && lastFrameMs !== null && nowMs - lastFrameMs > STALE_AFTER_MS;

  return (
    <article
      ref={tileRef}
      data-testid="camera-tile"
      data-camera-id={camera.id}
      data-status={camera.status}
      data-phase={live.phase}
      data-transport={live.transport}
      aria-label={`${camera.name}, ${camera.channel === null ? "own RTSP URL" : `channel ${camera.channel}`}, ${status.label}`}
      className={`flex flex-col overflow-hidden rounded-lg border bg-slate-900 ${
        status.tone === "bad" ? "border-red-600" : "border-slate-700"
      }`}
    >
      <header className="flex items-center justify-between gap-2 px-3 py-2">
        <h3 className="min-w-0 truncate text-lg font-semibold text-white" title={camera.name}>
          {camera.name}
        </h3>
        <span className="shrink-0 rounded bg-slate-800 px-1.5 py-0.5 font-mono text-sm text-slate-300">
          {camera.channel === null ? "RTSP" : `CH ${camera.channel}`}
        </span>
      </header>

      <div className="relative aspect-video">
        <LivePicture camera={camera} videoRef={videoRef} live={live} frameAspect={TILE_ASPECT} />
        {!online && (
          <div className="absolute inset-x-0 bottom-0 bg-black/75 px-3 py-2 text-base font-semibold text-white">
            {status.label}
            {camera.status_detail !== null && (
              <span className="block text-sm font-normal text-red-200">{camera.status_detail}</span>
            )}
          </div>
        )}
        {/* Over the picture, so the whole picture opens the full view (and is one tab stop). */}
        <button
          type="button"
          data-testid="camera-open"
          aria-label={`Open ${camera.name} full view`}
          onClick={() => {
            onOpen(camera.id);
          }}
          className="absolute inset-0 cursor-pointer focus-visible:outline-4 focus-visible:-outline-offset-4 focus-visible:outline-amber-400"
        />
      </div>

      <footer className="flex flex-wrap items-center gap-x-3 gap-y-1.5 px-3 py-2 text-base">
        <Pill tone={status.tone} title={camera.status_detail ?? undefined}>
          {status.label}
        </Pill>
        <span
          className={`inline-flex items-center gap-1 font-semibold ${
            people > 0 ? "text-cyan-300" : "text-slate-300"
          }`}
        >
          <PersonIcon />
          <span data-testid="camera-detections-count">{people}</span>
          <span className="font-normal">{people === 1 ? "person" : "people"}</span>
        </span>
        <LatencyBadge live={live} />
        <span
          className={`ml-auto tabular-nums ${stale ? "font-semibold text-amber-300" : "text-slate-400"}`}
          title={lastFrameMs === null ? undefined : formatFull(lastFrameMs)}
        >
          {lastFrameMs === null ? "no frames yet" : `updated ${formatRelative(lastFrameMs, nowMs)}`}
        </span>
      </footer>
    </article>
  );
}

export function PersonIcon() {
  return (
    <svg viewBox="0 0 20 20" fill="currentColor" className="size-5" aria-hidden="true">
      <path d="M10 9a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Zm-6.5 8a6.5 6.5 0 0 1 13 0 1 1 0 0 1-1 1h-11a1 1 0 0 1-1-1Z" />
    </svg>
  );
}
