/** Wire types and calls of the video endpoints (live, WebRTC, VOD, exports). */
import type { ApiClient } from "../api/client.ts";
import type { Severity } from "../api/types.ts";

export type StreamName = "main" | "sub";

/** `GET /api/v1/cameras/{id}/live`: where to fetch the camera's live picture. */
export interface LiveInfo {
  camera_id: string;
  webrtc: string;
  hls: string;
  /** Whether the live HLS playlist exists yet (older servers leave it out). */
  hls_ready?: boolean;
  /** The streams WebRTC can carry; live HLS has one stream. */
  streams: StreamName[];
  status: string;
}

export interface SessionDescription {
  sdp: string;
  type: "offer" | "answer";
}

/** One stored segment (`GET /api/v1/recordings`). */
export interface Recording {
  camera_id: string;
  start: string;
  end: string;
  duration_s: number;
}

export interface EventSummary {
  id: string;
  occurred_at: string;
  camera_id: string;
  type: string;
  severity: Severity;
}

export interface EventPage {
  items: EventSummary[];
  next_cursor: string | null;
}

export type ExportStatus = "pending" | "ready" | "failed";

/** A clip export (`POST /api/v1/exports`, `GET /api/v1/exports/{id}`). */
export interface ClipExport {
  id: string;
  camera_id: string;
  start: string;
  end: string;
  status: ExportStatus;
  sha256: string | null;
  size_bytes: number | null;
  download_url: string | null;
  error: string | null;
}

const cam = (cameraId: string) => encodeURIComponent(cameraId);

export function liveInfo(api: ApiClient, cameraId: string, signal?: AbortSignal) {
  return api.getJson<LiveInfo>(`/api/v1/cameras/${cam(cameraId)}/live`, signal);
}

export function webrtcOffer(
  api: ApiClient,
  path: string,
  offer: SessionDescription,
  stream: StreamName,
  signal?: AbortSignal,
) {
  return api.postJson<SessionDescription>(path, { ...offer, stream }, signal);
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
  return api.getJson<Recording[]>(`/api/v1/recordings?${params.toString()}`, signal);
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
