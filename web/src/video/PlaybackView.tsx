import { useQuery } from "@tanstack/react-query";
import { useMemo, useRef, useState, type SyntheticEvent } from "react";
import type { Camera } from "../api/types.ts";
import { cameraOptions, Select, TextInput } from "../components/inputs.tsx";
import { TitledSection } from "../components/TitledSection.tsx";
import { useApi } from "../context.ts";
import { DEFAULT_ASPECT, fitAspect, percentBox, pictureAspect } from "../lib/aspect.ts";
import { events as fetchEvents, recordings as fetchRecordings } from "../api/video.ts";
import { ExportPanel } from "./ExportPanel.tsx";
import { useVideoSize } from "./LivePicture.tsx";
import { playbackRequest, type PlaybackRequest } from "./navigation.ts";
import { Timeline } from "./Timeline.tsx";
import type { TimeRange } from "./timeline.ts";
import { useVodPlayer } from "./useVodPlayer.ts";

const VIEW_ASPECT = 16 / 9;

const MAX_WINDOW_MS = 24 * 3_600_000;
const INPUT =
  "rounded-md bg-slate-950 px-2 py-1.5 text-base text-white ring-1 ring-slate-600 focus-visible:outline-4 focus-visible:outline-amber-400";
const FIELD = "flex flex-col gap-1 text-sm text-slate-300";
const BUTTON =
  "rounded-md px-3 py-2 text-base font-semibold ring-1 focus-visible:outline-4 focus-visible:outline-amber-400";

/** Epoch ms as the value of a `datetime-local` input (local time, seconds). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A `datetime-local` value (local time) as epoch ms, NaN when empty or invalid. */
export function fromLocalInput(value: string): number {
  return value === "" ? Number.NaN : new Date(value).getTime();
}

/** Recorded video of one camera over a time window: player, timeline, export. */
export function PlaybackView({
  cameras,
  request,
  onRequest,
  canExport,
}: {
  cameras: readonly Camera[] | undefined;
  request: PlaybackRequest | null;
  onRequest: (request: PlaybackRequest) => void;
  /** Exports need the operator role (viewers only watch). */
  canExport: boolean;
}) {
  const firstId = cameras?.[0]?.id;
  // Opened from the menu: the first camera's last five minutes (once the list has arrived).
  const [openedAtMs] = useState(Date.now);
  const fallback = useMemo(
    () => (firstId === undefined ? null : playbackRequest(firstId, undefined, openedAtMs)),
    [firstId, openedAtMs],
  );
  const shown = request ?? fallback;
  return (
    <TitledSection
      headingId="playback-title"
      testId="playback-view"
      className="mx-auto max-w-6xl space-y-4"
      headingClassName="text-xl font-bold text-white"
      title="Playback"
    >
      {cameras === undefined ? (
        <p className="text-slate-400">Loading cameras…</p>
      ) : shown === null ? (
        <p className="text-lg text-slate-300">No cameras are configured.</p>
      ) : (
        <>
          <WindowForm
            key={`${shown.cameraId}-${shown.startMs}-${shown.endMs}`}
            cameras={cameras}
            request={shown}
            onRequest={onRequest}
          />
          <Player
            key={`${shown.cameraId}-${shown.startMs}-${shown.endMs}-${shown.seekMs}`}
            request={shown}
            displayAspect={cameras.find((c) => c.id === shown.cameraId)?.display_aspect ?? null}
            canExport={canExport}
          />
        </>
      )}
    </TitledSection>
  );
}

function WindowForm({
  cameras,
  request,
  onRequest,
}: {
  cameras: readonly Camera[];
  request: PlaybackRequest;
  onRequest: (request: PlaybackRequest) => void;
}) {
  const [cameraId, setCameraId] = useState(request.cameraId);
  const [start, setStart] = useState(toLocalInput(request.startMs));
  const [end, setEnd] = useState(toLocalInput(request.endMs));
  const startMs = fromLocalInput(start);
  const endMs = fromLocalInput(end);
  const problem = !Number.isFinite(startMs)
    ? "From: enter a date and time."
    : !Number.isFinite(endMs)
      ? "To: enter a date and time."
      : endMs <= startMs
        ? "To must be after From."
        : endMs - startMs > MAX_WINDOW_MS
          ? "Show at most 24 hours at a time."
          : null;
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    if (problem !== null) return;
    onRequest({ cameraId, startMs, endMs, seekMs: startMs });
  };
  return (
    <form
      onSubmit={submit}
      className="flex flex-wrap items-end gap-3"
      aria-describedby="playback-form-problem"
    >
      <label className={FIELD}>
        Camera
        <Select
          data-testid="playback-camera"
          value={cameraId}
          options={cameraOptions(cameras)}
          onChange={setCameraId}
          className={INPUT}
        />
      </label>
      <TimeField label="From" testId="playback-start" value={start} onChange={setStart} />
      <TimeField label="To" testId="playback-end" value={end} onChange={setEnd} />
      <button
        type="submit"
        data-testid="playback-show"
        disabled={problem !== null}
        className={`${BUTTON} bg-amber-400 text-slate-950 ring-amber-300 hover:bg-amber-300 disabled:opacity-50`}
      >
        Show
      </button>
      <button
        type="button"
        data-testid="playback-last5"
        onClick={() => {
          onRequest(playbackRequest(cameraId, undefined, Date.now()));
        }}
        className={`${BUTTON} bg-slate-800 text-white ring-slate-600 hover:bg-slate-700`}
      >
        Last 5 minutes
      </button>
      {problem !== null && (
        <p id="playback-form-problem" role="alert" className="basis-full text-amber-200">
          {problem}
        </p>
      )}
    </form>
  );
}

/** A local date and time to the second (`toLocalInput` text). */
function TimeField({
  label,
  testId,
  value,
  onChange,
}: {
  label: string;
  testId: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <label className={FIELD}>
      {label}
      <TextInput
        type="datetime-local"
        step={1}
        data-testid={testId}
        value={value}
        onChange={onChange}
        className={INPUT}
      />
    </label>
  );
}

function Player({
  request,
  canExport,
  displayAspect,
}: {
  request: PlaybackRequest;
  canExport: boolean;
  /** The camera's display aspect (a 960x1080 DVR picture of a 16:9 scene says 16/9). */
  displayAspect: number | null;
}) {
  const api = useApi();
  const videoRef = useRef<HTMLVideoElement>(null);
  const vod = useVodPlayer(videoRef, request);
  const natural = useVideoSize(videoRef);
  const picture = percentBox(
    fitAspect(
      VIEW_ASPECT,
      pictureAspect(displayAspect, natural.width, natural.height) ?? DEFAULT_ASPECT,
    ),
  );
  const [selection, setSelection] = useState<TimeRange | null>(null);
  const window: TimeRange = { startMs: request.startMs, endMs: request.endMs };
  const recordings = useQuery({
    queryKey: ["recordings", request.cameraId, request.startMs, request.endMs],
    queryFn: ({ signal }) =>
      fetchRecordings(api, request.cameraId, request.startMs, request.endMs, signal),
  });
  const events = useQuery({
    queryKey: ["events", "timeline", request.cameraId, request.startMs, request.endMs],
    queryFn: ({ signal }) =>
      fetchEvents(api, request.cameraId, request.startMs, request.endMs, signal),
  });
  const recorded = (recordings.data ?? []).map((r) => ({
    startMs: Date.parse(r.start),
    endMs: Date.parse(r.end),
  }));
  const marks = (events.data?.items ?? []).map((e) => ({
    id: e.id,
    atMs: Date.parse(e.occurred_at),
    type: e.type,
    severity: e.severity,
  }));

  return (
    <div className="space-y-4">
      <div className="relative aspect-video overflow-hidden rounded-lg bg-black ring-1 ring-slate-700">
        {/* Stretched to the camera's display aspect, like the live picture. */}
        <video
          ref={videoRef}
          data-testid="playback-video"
          controls
          muted
          playsInline
          aria-label="Recorded video"
          className="absolute object-fill"
          style={picture}
        />
        {vod.error !== null && (
          <p
            role="alert"
            className="absolute inset-x-0 bottom-12 bg-black/80 px-3 py-2 text-base text-amber-200"
          >
            {vod.error}
          </p>
        )}
      </div>
      <p className="text-base text-slate-300">
        Showing{" "}
        <span data-testid="playback-clock" className="font-semibold tabular-nums text-white">
          {vod.playheadMs === null ? "—" : new Date(vod.playheadMs).toLocaleString()}
        </span>
      </p>
      {recordings.isError && <p className="text-red-200">Cannot load the recording list.</p>}
      {events.isError && <p className="text-red-200">Cannot load the events.</p>}
      <Timeline
        window={window}
        recordings={recorded}
        events={marks}
        playheadMs={vod.playheadMs}
        selection={selection}
        onSeek={vod.seek}
        onSelect={setSelection}
      />
      {selection !== null && (
        <button
          type="button"
          data-testid="timeline-clear-selection"
          onClick={() => {
            setSelection(null);
          }}
          className={`${BUTTON} bg-slate-800 text-white ring-slate-600 hover:bg-slate-700`}
        >
          Clear selection (export the whole window)
        </button>
      )}
      {canExport && <ExportPanel cameraId={request.cameraId} range={selection ?? window} />}
    </div>
  );
}
