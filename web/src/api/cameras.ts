/** Camera administration: add, change, delete; connection tests. */
import type { ApiClient } from "./client.ts";
import type { Camera, CameraCreate, CameraUpdate, ProbeRequest, ProbeResult } from "./types.ts";

const path = (cameraId: string) => `/api/v1/cameras/${encodeURIComponent(cameraId)}`;

export function createCamera(api: ApiClient, body: CameraCreate): Promise<Camera> {
  return api.request<Camera>("/api/v1/cameras", { method: "POST", body });
}

export function updateCamera(
  api: ApiClient,
  cameraId: string,
  body: CameraUpdate,
): Promise<Camera> {
  return api.request<Camera>(path(cameraId), { method: "PATCH", body });
}

export function deleteCamera(api: ApiClient, cameraId: string): Promise<void> {
  return api.requestNoContent(path(cameraId), { method: "DELETE" });
}

/** Probes a stored camera (its stored credentials). */
export function testCamera(api: ApiClient, cameraId: string): Promise<ProbeResult> {
  return api.postJson<ProbeResult>(`${path(cameraId)}/test`, {});
}

/** Probes a DVR channel or an RTSP URL before it is saved. */
export function testConnection(api: ApiClient, request: ProbeRequest): Promise<ProbeResult> {
  return api.postJson<ProbeResult>("/api/v1/cameras/test", request);
}
