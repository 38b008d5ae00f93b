import { useEffect, useRef, useState, type RefObject } from "react";
import type { Camera } from "../api/types.ts";
import { DetectionOverlay } from "../components/DetectionOverlay.tsx";
import { useAuthedImage } from "../hooks/useAuthedImage.ts";
import { useElementSize } from "../hooks/useElementSize.ts";
import { DEFAULT_ASPECT, fitAspect, percentBox, pictureAspect } from "../lib/aspect.ts";
import type { LiveState } from "./useLivePlayer.ts";

const TRANSPORT_LABEL = { webrtc: "WebRTC", hls: "HLS" } as const;

/** The natural size of the video (0 x 0 until its metadata arrives). */
export function useVideoSize(videoRef: RefObject<HTMLVideoElement | null>) {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const video = videoRef.current;
    if (video === null) return;
    const update = () => {
      setSize({ width: video.videoWidth, height: video.videoHeight });
    };
    video.addEventListener("loadedmetadata", update);
    video.addEventListener("resize", update);
    return () => {
      video.removeEventListener("loadedmetadata", update);
      video.removeEventListener("resize", update);
    };
  }, [videoRef]);
  return size;
}

/**
 * A camera's live picture in a box of `frameAspect`: the video at the camera's
 * display aspect (stretched, `object-fit: fill`, like the snapshots), the
 * latest detections over it, the last snapshot until the video plays, and
 * the camera's or the player's trouble spelled out at the bottom.
 */
export function LivePicture({
  camera,
  videoRef,
  live,
  frameAspect,
}: {
  camera: Camera;
  videoRef: RefObject<HTMLVideoElement | null>;
  live: LiveState;
  frameAspect: number;
}) {
  const online = camera.status === "online";
  const playing = live.phase === "playing";
  const hasFrame = camera.last_frame_at !== null;
  // The snapshot stands in only until the video plays.
  const image = useAuthedImage(
    hasFrame && !playing ? `/api/v1/cameras/${encodeURIComponent(camera.id)}/snapshot` : null,
    { refreshMs: online ? 2000 : 10_000, version: camera.last_frame_at },
  );
  const video = useVideoSize(videoRef);
  const boxRef = useRef<HTMLDivElement>(null);
  const size = useElementSize(boxRef);
  const aspect =
    pictureAspect(
      camera.display_aspect,
      (playing ? video.width : image.naturalWidth) || camera.width,
      (playing ? video.height : image.naturalHeight) || camera.height,
    ) ?? DEFAULT_ASPECT;
  const box = percentBox(fitAspect(frameAspect, aspect));
  const problem = !online
    ? null
    : live.phase === "waiting"
      ? `${live.reason ?? "Video failed"}; trying again shortly`
      : live.phase === "connecting" && live.reason !== null
        ? `${live.reason}; trying ${TRANSPORT_LABEL[live.transport]}`
        : null;

  return (
    <div className="relative size-full bg-black">
      <div ref={boxRef} className="absolute" style={box}>
        {!playing && image.url !== null && (
          <img
            src={image.url}
            alt={`Latest frame from ${camera.name}`}
            className={`absolute inset-0 size-full object-fill ${online ? "" : "opacity-40 grayscale"}`}
          />
        )}
        <video
          ref={videoRef}
          data-testid="live-video"
          data-transport={live.transport}
          muted
          autoPlay
          playsInline
          disablePictureInPicture
          aria-label={`Live video from ${camera.name}`}
          className={`absolute inset-0 size-full object-fill ${playing ? "" : "invisible"}`}
        />
        {online && (
          <DetectionOverlay
            detections={camera.detections}
            width={size.width}
            height={size.height}
          />
        )}
        {!playing && image.url === null && (
          <div className="absolute inset-0 grid place-items-center text-base text-slate-400">
            {online ? "Connecting video…" : "No picture"}
          </div>
        )}
      </div>
      {problem !== null && (
        <div
          role="status"
          className="absolute inset-x-0 bottom-0 bg-black/75 px-3 py-1.5 text-sm text-amber-200"
        >
          {problem}
        </div>
      )}
    </div>
  );
}

/** 0.04, 0.4, 2.3, 12: two significant digits below 10 s. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return seconds.toFixed(2);
  if (seconds < 10) return seconds.toFixed(1);
  return String(Math.round(seconds));
}

/** "0.4 s behind live" with what the figure covers; nothing until there is a figure. */
export function LatencyBadge({ live }: { live: LiveState }) {
  const latency = live.latency;
  if (live.phase !== "playing") return null;
  return (
    <span
      data-testid="live-latency"
      data-seconds={latency === null ? "" : latency.seconds.toFixed(3)}
      data-transport={live.transport}
      data-fallback-reason={live.fellBackBecause ?? undefined}
      title={[
        latency?.explanation,
        live.fellBackBecause === null ? null : `Using HLS because ${live.fellBackBecause}.`,
      ]
        .filter((t) => t != null)
        .join(" ")}
      className="tabular-nums text-slate-300"
    >
      {TRANSPORT_LABEL[live.transport]}
      {latency !== null && (
        <>
          {" "}
          · {formatSeconds(latency.seconds)} s behind{" "}
          <span className="text-slate-400">({latency.basis})</span>
        </>
      )}
    </span>
  );
}
