import type { Camera, ProbeResult } from "../../api/types.ts";

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
  if (camera.own_url)
    return camera.url_masked == null ? "Own RTSP URL" : `RTSP ${camera.url_masked}`;
  const stream = camera.stream === 1 ? "sub stream" : "main stream";
  return `Channel ${String(camera.channel)}, ${stream}`;
}
