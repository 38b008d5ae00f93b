import { useRef } from "react";
import type { Camera } from "../api/types.ts";
import { useAuthedImage } from "../hooks/useAuthedImage.ts";
import { useElementSize } from "../hooks/useElementSize.ts";
import { DEFAULT_ASPECT, fitAspect, percentBox, pictureAspect } from "../lib/aspect.ts";
import { countPeople } from "../lib/bbox.ts";
import { formatFull, formatRelative, parseTimeMs } from "../lib/time.ts";
import { DetectionOverlay } from "./DetectionOverlay.tsx";
import { Pill } from "./Pill.tsx";
import { cameraStatusInfo } from "./styles.ts";

/** A frame older than this on an online camera is flagged as stale. */
const STALE_AFTER_MS = 15_000;
/** Every tile's frame is 16:9 (`aspect-video`), so the grid stays even. */
const TILE_ASPECT = 16 / 9;

export function CameraTile({ camera, nowMs }: { camera: Camera; nowMs: number }) {
  const online = camera.status === "online";
  // No analysed frame yet means the snapshot would only answer 404.
  const hasFrame = camera.last_frame_at !== null;
  const image = useAuthedImage(
    hasFrame ? `/api/v1/cameras/${encodeURIComponent(camera.id)}/snapshot` : null,
    {
      refreshMs: online ? 1000 : 10_000,
      version: camera.last_frame_at,
    },
  );
  const pictureRef = useRef<HTMLDivElement>(null);
  const size = useElementSize(pictureRef);
  const status = cameraStatusInfo(camera.status);
  const people = countPeople(camera.detections);
  const lastFrameMs = parseTimeMs(camera.last_frame_at);
  const stale = online && lastFrameMs !== null && nowMs - lastFrameMs > STALE_AFTER_MS;
  // Shown at the aspect the server says (a squeezed 960x1080 DVR picture is
  // 16:9), stretched to fill; boxes line up because the overlay fills the same box.
  const aspect =
    pictureAspect(
      camera.display_aspect,
      image.naturalWidth || camera.width,
      image.naturalHeight || camera.height,
    ) ?? DEFAULT_ASPECT;
  const picture = percentBox(fitAspect(TILE_ASPECT, aspect));

  return (
    <article
      data-testid="camera-tile"
      data-camera-id={camera.id}
      data-status={camera.status}
      aria-label={`${camera.name}, channel ${camera.channel}, ${status.label}`}
      className={`flex flex-col overflow-hidden rounded-lg border bg-slate-900 ${
        status.tone === "bad" ? "border-red-600" : "border-slate-700"
      }`}
    >
      <header className="flex items-center justify-between gap-2 px-3 py-2">
        <h3 className="min-w-0 truncate text-lg font-semibold text-white" title={camera.name}>
          {camera.name}
        </h3>
        <span className="shrink-0 rounded bg-slate-800 px-1.5 py-0.5 font-mono text-sm text-slate-300">
          CH {camera.channel}
        </span>
      </header>

      <div className="relative aspect-video bg-black">
        <div ref={pictureRef} className="absolute" style={picture}>
          {image.url !== null ? (
            <>
              <img
                src={image.url}
                alt={`Latest frame from ${camera.name}`}
                className={`absolute inset-0 size-full object-fill ${online ? "" : "opacity-40 grayscale"}`}
              />
              {online && (
                <DetectionOverlay
                  detections={camera.detections}
                  width={size.width}
                  height={size.height}
                />
              )}
            </>
          ) : (
            <div className="absolute inset-0 grid place-items-center text-base text-slate-400">
              {image.missing || !hasFrame ? "No picture yet" : "Loading picture…"}
            </div>
          )}
        </div>
        {!online && (
          <div className="absolute inset-x-0 bottom-0 bg-black/75 px-3 py-2 text-base font-semibold text-white">
            {status.label}
            {camera.status_detail !== null && (
              <span className="block text-sm font-normal text-red-200">{camera.status_detail}</span>
            )}
          </div>
        )}
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

function PersonIcon() {
  return (
    <svg viewBox="0 0 20 20" fill="currentColor" className="size-5" aria-hidden="true">
      <path d="M10 9a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Zm-6.5 8a6.5 6.5 0 0 1 13 0 1 1 0 0 1-1 1h-11a1 1 0 0 1-1-1Z" />
    </svg>
  );
}
