import type { ApiClient } from "../../api/client.ts";
import type { Camera } from "../../api/types.ts";

/** `POST /cameras/test` and `POST /cameras/{id}/test`: what the stream sends, or why not. */
export interface ProbeResult {
  ok: boolean;
  /** What it sends, or why it failed (never a password). */
  detail: string;
  auth_failed: boolean;
  /** What was probed, password masked. */
  target: string;
  codec: string | null;
  /** Pixels. */
  width: number | null;
  height: number | null;
  fps: number | null;
}

/** A DVR channel (with the site's DVR credentials) or the RTSP URL of another camera. */
export type ProbeRequest = { channel: number; stream: 0 | 1 } | { url: string };

export function testCamera(api: ApiClient, cameraId: string): Promise<ProbeResult> {
  return api.postJson<ProbeResult>(`/api/v1/cameras/${encodeURIComponent(cameraId)}/test`, {});
}

export function testConnection(api: ApiClient, request: ProbeRequest): Promise<ProbeResult> {
  return api.postJson<ProbeResult>("/api/v1/cameras/test", request);
}

/** One line for a person: "Connected: H.264, 960×1080, 25 fps" or "Failed: <why>". */
export function probeSummary(result: ProbeResult): string {
  // The server's detail already says what to fix (e.g. "… — wrong password?").
  if (!result.ok) return `Failed: ${result.detail}`;
  const parts: string[] = [];
  if (result.codec !== null) parts.push(result.codec === "h264" ? "H.264" : result.codec);
  if (result.width !== null && result.height !== null)
    parts.push(`${String(result.width)}×${String(result.height)}`);
  if (result.fps !== null) parts.push(`${String(Math.round(result.fps * 10) / 10)} fps`);
  return `Connected: ${parts.length > 0 ? parts.join(", ") : result.detail}`;
}

/** Where a camera's video comes from, in words: "Channel 3, main stream", or its RTSP URL
 * with the password masked by the server ("Own RTSP URL" when the server did not send it). */
export function cameraSourceText(camera: Camera): string {
  if (camera.own_url === true)
    return camera.url_masked == null ? "Own RTSP URL" : `RTSP ${camera.url_masked}`;
  const stream = camera.stream === 1 ? "sub stream" : "main stream";
  return `Channel ${String(camera.channel)}, ${stream}`;
}
