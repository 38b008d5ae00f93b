/** Calls of the video endpoints (live, WebRTC, VOD, exports). */
import type { ApiClient } from "./client.ts";
import type {
  ClipExport,
  EventPage,
  LiveInfo,
  RecordingSegment,
  StreamName,
  WebRtcAnswer,
} from "./types.ts";

const cam = (cameraId: string) => encodeURIComponent(cameraId);

export function liveInfo(api: ApiClient, cameraId: string, signal?: AbortSignal) {
  return api.getJson<LiveInfo>(`/api/v1/cameras/${cam(cameraId)}/live`, signal);
}

/** Posts the browser's offer to `path` (the `webrtc` of `liveInfo`); resolves with the answer. */
export function webrtcOffer(
  api: ApiClient,
  path: string,
  offer: { sdp: string; type: "offer" },
  stream: StreamName,
  signal?: AbortSignal,
) {
  return api.postJson<WebRtcAnswer>(path, { ...offer, stream }, signal);
}

/** `start` and `end` (epoch ms) as ISO-8601 UTC, the way the API takes a time span. */
function span(startMs: number, endMs: number): { start: string; end: string } {
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
}

export function vodUrl(cameraId: string, startMs: number, endMs: number): string {
  const params = new URLSearchParams(span(startMs, endMs));
  return `/api/v1/recordings/${cam(cameraId)}/vod.m3u8?${params.toString()}`;
}

export function recordings(
  api: ApiClient,
  cameraId: string,
  startMs: number,
  endMs: number,
  signal?: AbortSignal,
) {
  const params = new URLSearchParams({ camera_id: cameraId, ...span(startMs, endMs) });
  return api.getJson<RecordingSegment[]>(`/api/v1/recordings?${params.toString()}`, signal);
}

export function events(
  api: ApiClient,
  cameraId: string,
  startMs: number,
  endMs: number,
  signal?: AbortSignal,
) {
  const params = new URLSearchParams({
    camera_id: cameraId,
    ...span(startMs, endMs),
    limit: "500",
  });
  return api.getJson<EventPage>(`/api/v1/events?${params.toString()}`, signal);
}

export function createExport(api: ApiClient, cameraId: string, startMs: number, endMs: number) {
  return api.postJson<ClipExport>("/api/v1/exports", {
    camera_id: cameraId,
    ...span(startMs, endMs),
  });
}

export function getExport(api: ApiClient, exportId: string, signal?: AbortSignal) {
  return api.getJson<ClipExport>(`/api/v1/exports/${encodeURIComponent(exportId)}`, signal);
}
