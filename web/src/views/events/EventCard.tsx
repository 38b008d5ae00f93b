import type { Role } from "../../api/types.ts";
import { BUTTON_SECONDARY } from "../../components/formStyles.ts";
import { SeverityBadge } from "../../components/Pill.tsx";
import { useAuthedImage } from "../../hooks/useAuthedImage.ts";
import { formatAbsolute, formatFull, parseTimeMs } from "../../lib/time.ts";
import type { VigilEvent } from "../../api/types.ts";

export function EventCard({
  event,
  nowMs,
  role,
  onSearchFace,
  onOpenPlayback,
}: {
  event: VigilEvent;
  nowMs: number;
  role: Role;
  onSearchFace?: ((event: VigilEvent) => void) | undefined;
  onOpenPlayback?: ((cameraId: string, atMs: number) => void) | undefined;
}) {
  const atMs = parseTimeMs(event.occurred_at);
  const zone = typeof event.data.zone_name === "string" ? event.data.zone_name : event.zone_id;
  return (
    <li
      data-testid="event-item"
      data-event-id={event.id}
      className="flex gap-3 rounded-lg border border-slate-800 bg-slate-900 p-3"
    >
      <Thumbnail
        path={event.snapshot_url}
        label={`Snapshot of ${event.type} on ${event.camera_name}`}
      />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <SeverityBadge severity={event.severity} />
          <span className="text-base font-semibold text-white">
            {event.type.replaceAll("_", " ")}
          </span>
        </div>
        <p className="truncate text-base text-slate-300">
          {event.camera_name}
          {zone !== null && <span className="text-slate-400"> · {zone}</span>}
          {event.confidence !== null && (
            <span className="text-slate-400"> · {Math.round(event.confidence * 100)}%</span>
          )}
        </p>
        {atMs !== null && (
          <p className="text-base text-slate-400 tabular-nums">
            <time dateTime={event.occurred_at} title={formatFull(atMs)}>
              {formatAbsolute(atMs, nowMs)}
            </time>
          </p>
        )}
        <div className="mt-2 flex flex-wrap gap-2">
          {onOpenPlayback !== undefined && atMs !== null && (
            <button
              type="button"
              data-testid="event-play"
              className={BUTTON_SECONDARY}
              onClick={() => {
                onOpenPlayback(event.camera_id, atMs);
              }}
            >
              Play recording
            </button>
          )}
          {onSearchFace !== undefined && role !== "viewer" && event.snapshot_url !== null && (
            <button
              type="button"
              data-testid="event-search-face"
              className={BUTTON_SECONDARY}
              onClick={() => {
                onSearchFace(event);
              }}
            >
              Search faces in this picture
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

export function Thumbnail({ path, label }: { path: string | null; label: string }) {
  const image = useAuthedImage(path);
  return (
    <div className="grid aspect-video w-32 shrink-0 place-items-center self-start overflow-hidden rounded bg-black sm:w-40">
      {image.url !== null ? (
        <img src={image.url} alt={label} className="size-full object-fill" />
      ) : (
        <span className="text-xs text-slate-500">
          {path === null || image.missing ? "No snapshot" : "…"}
        </span>
      )}
    </div>
  );
}
