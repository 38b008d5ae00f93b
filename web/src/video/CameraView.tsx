import { useContext, useRef, useState } from "react";
import type { Camera } from "../api/types.ts";
import { PersonIcon } from "../components/CameraTile.tsx";
import { Pill } from "../components/Pill.tsx";
import { cameraStatusInfo } from "../components/styles.ts";
import { countPeople } from "../lib/bbox.ts";
import { pageForcesHls } from "./fallback.ts";
import { LatencyBadge, LivePicture } from "./LivePicture.tsx";
import { VideoNavigationContext } from "./navigation.ts";
import { useLivePlayer } from "./useLivePlayer.ts";
import { usePageVisible } from "./visibility.ts";

const VIEW_ASPECT = 16 / 9;

const BUTTON =
  "rounded-md px-3 py-2 text-base font-semibold ring-1 focus-visible:outline-4 focus-visible:outline-amber-400";

/** One camera, large: the main stream with detections, status and time behind live. */
export function CameraView({ camera, onBack }: { camera: Camera | undefined; onBack: () => void }) {
  const nav = useContext(VideoNavigationContext);
  return (
    <section
      aria-labelledby="camera-view-title"
      data-testid="camera-view"
      className="mx-auto max-w-6xl"
    >
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <button
          type="button"
          data-testid="camera-view-back"
          onClick={onBack}
          className={`${BUTTON} bg-slate-800 text-white ring-slate-600 hover:bg-slate-700`}
        >
          ← All cameras
        </button>
        <h2 id="camera-view-title" className="min-w-0 truncate text-xl font-bold text-white">
          {camera?.name ?? "Camera not found"}
        </h2>
        {camera !== undefined && nav !== null && (
          <button
            type="button"
            data-testid="camera-view-playback"
            onClick={() => {
              nav.openPlayback(camera.id);
            }}
            className={`${BUTTON} ml-auto bg-amber-400 text-slate-950 ring-amber-300 hover:bg-amber-300`}
          >
            Play back last 5 minutes
          </button>
        )}
      </div>
      {camera === undefined ? (
        <p className="text-lg text-slate-300">
          This camera is not in the list any more (removed, or not one of yours).
        </p>
      ) : (
        <LiveCamera key={camera.id} camera={camera} />
      )}
    </section>
  );
}

function LiveCamera({ camera }: { camera: Camera }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [forceHls] = useState(pageForcesHls);
  const visible = usePageVisible();
  const online = camera.status === "online";
  const live = useLivePlayer(videoRef, camera.id, "main", online && visible, forceHls);
  const status = cameraStatusInfo(camera.status);
  const people = countPeople(camera.detections);
  return (
    <div
      data-testid="camera-view-live"
      data-camera-id={camera.id}
      data-phase={live.phase}
      data-transport={live.transport}
      className="overflow-hidden rounded-lg border border-slate-700 bg-slate-900"
    >
      <div className="relative aspect-video">
        <LivePicture camera={camera} videoRef={videoRef} live={live} frameAspect={VIEW_ASPECT} />
        {!online && (
          <div className="absolute inset-x-0 bottom-0 bg-black/75 px-3 py-2 text-lg font-semibold text-white">
            {status.label}
            {camera.status_detail !== null && (
              <span className="block text-base font-normal text-red-200">
                {camera.status_detail}
              </span>
            )}
          </div>
        )}
      </div>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1.5 px-3 py-2 text-base">
        <Pill tone={status.tone} title={camera.status_detail ?? undefined}>
          {status.label}
        </Pill>
        <span className="inline-flex items-center gap-1 font-semibold text-slate-200">
          <PersonIcon />
          <span data-testid="camera-detections-count">{people}</span>
          <span className="font-normal">{people === 1 ? "person" : "people"}</span>
        </span>
        <LatencyBadge live={live} />
        <span className="ml-auto text-slate-400">
          Main stream · {camera.channel === null ? "RTSP" : `CH ${camera.channel}`}
        </span>
      </div>
    </div>
  );
}
