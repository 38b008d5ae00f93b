/**
 * Imperative players attached to a <video>: WebRTC (recvonly H.264 from the
 * server's aiortc peer) and HLS (hls.js, bearer header on every request).
 * Each returns a handle whose `close()` releases the peer connection or the
 * hls.js instance and empties the element (no hidden players left running).
 */
import type Hls from "hls.js";
import type { ErrorData, HlsConfig } from "hls.js";
import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/client.ts";
import type { StreamName } from "../api/types.ts";
import { liveInfo, webrtcOffer } from "../api/video.ts";
import { SERVER_CLOSED } from "./fallback.ts";

/** How far behind live the picture is, and what that figure covers. */
export interface Latency {
  seconds: number;
  /** Short text shown next to the figure, e.g. "browser buffer". */
  basis: string;
  /** Longer explanation (title attribute). */
  explanation: string;
}

export interface PlayerHandle {
  close: () => void;
  latency: () => Promise<Latency | null>;
}

export interface PlayerCallbacks {
  /** A fatal failure (the player will not recover by itself). */
  onError: (reason: string) => void;
  /** WebRTC: the peer connection is up. */
  onConnected?: () => void;
}

/** How long ICE gathering may take before the offer is sent anyway (host candidates come first). */
const ICE_GATHER_TIMEOUT_MS = 2000;

function describe(err: unknown): string {
  if (err instanceof ApiError) return err.status === 0 ? err.detail : `${err.status} ${err.detail}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

function emptyVideo(video: HTMLVideoElement): void {
  if (video.srcObject === null && !video.hasAttribute("src") && video.currentSrc === "") return;
  video.pause();
  video.srcObject = null;
  video.removeAttribute("src");
  video.load();
}

function waitForIceGathering(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ICE_GATHER_TIMEOUT_MS);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === "complete") done();
    }
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** Puts H.264 first so the server can pass the camera's packets through without re-encoding. */
function preferH264(transceiver: RTCRtpTransceiver): void {
  const codecs = RTCRtpReceiver.getCapabilities("video")?.codecs ?? [];
  const h264 = codecs.filter((c) => c.mimeType.toLowerCase() === "video/h264");
  if (h264.length === 0 || typeof transceiver.setCodecPreferences !== "function") return;
  transceiver.setCodecPreferences([...h264, ...codecs.filter((c) => !h264.includes(c))]);
}

/** Receives the camera's `stream` by WebRTC into `video` (one offer/answer, no trickle ICE). */
export function startWebRtc(
  api: ApiClient,
  video: HTMLVideoElement,
  cameraId: string,
  stream: StreamName,
  callbacks: PlayerCallbacks,
): PlayerHandle {
  if (typeof RTCPeerConnection === "undefined") {
    callbacks.onError("this browser has no WebRTC");
    return { close: () => undefined, latency: () => Promise.resolve(null) };
  }
  const controller = new AbortController();
  // Loopback and LAN: host candidates are enough; no STUN server is contacted.
  const pc = new RTCPeerConnection({ iceServers: [] });
  // An object, so checks after an await see a close() made meanwhile.
  const state = { closed: false };
  const isClosed = () => state.closed;
  const fail = (reason: string) => {
    if (!state.closed) callbacks.onError(reason);
  };
  pc.addEventListener("track", (event) => {
    video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    video.play().catch(() => undefined);
    // The server ends the stream with a DTLS close_notify (the camera moved to another
    // source, or went away); browsers differ in what connectionState then says.
    const dtls = event.receiver.transport;
    dtls?.addEventListener("statechange", () => {
      if (dtls.state === "closed") fail(SERVER_CLOSED);
    });
  });
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected" && !state.closed) callbacks.onConnected?.();
    if (pc.connectionState === "failed") fail("connection failed");
    if (pc.connectionState === "closed") fail(SERVER_CLOSED);
  });
  preferH264(pc.addTransceiver("video", { direction: "recvonly" }));

  void (async () => {
    try {
      const info = await liveInfo(api, cameraId, controller.signal);
      if (!info.streams.includes(stream) && info.streams.length > 0) {
        throw new Error(`the camera has no ${stream} stream`);
      }
      await pc.setLocalDescription(await pc.createOffer());
      await waitForIceGathering(pc);
      const local = pc.localDescription;
      if (local === null || isClosed()) return;
      const answer = await webrtcOffer(
        api,
        info.webrtc,
        { sdp: local.sdp, type: "offer" },
        stream,
        controller.signal,
      );
      if (isClosed()) return;
      await pc.setRemoteDescription(answer);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      fail(describe(err));
    }
  })();

  return {
    close: () => {
      if (state.closed) return;
      state.closed = true;
      controller.abort();
      pc.close();
      emptyVideo(video);
    },
    latency: async () => {
      if (state.closed) return null;
      const stats = await pc.getStats();
      let bufferS: number | null = null;
      let rttS = 0;
      for (const report of stats.values() as IterableIterator<Record<string, unknown>>) {
        if (report.type === "inbound-rtp" && report.kind === "video") {
          const delay = report.jitterBufferDelay;
          const emitted = report.jitterBufferEmittedCount;
          if (typeof delay === "number" && typeof emitted === "number" && emitted > 0) {
            bufferS = delay / emitted;
          }
        }
        if (report.type === "candidate-pair" && report.nominated === true) {
          const rtt = report.currentRoundTripTime;
          if (typeof rtt === "number") rttS = rtt;
        }
      }
      if (bufferS === null) return null;
      return {
        seconds: bufferS + rttS / 2,
        basis: "buffer + network",
        explanation:
          "WebRTC: time frames wait in this browser's jitter buffer plus half the network round trip. " +
          "The camera's and the server's own delay are not included, so the real figure is a little higher.",
      };
    },
  };
}

type HlsClass = typeof Hls;
let hlsModule: Promise<HlsClass> | null = null;

/** hls.js, loaded on first use (a third of the bundle; WebRTC viewers never need it). */
export function loadHls(): Promise<HlsClass> {
  hlsModule ??= import("hls.js").then((m) => m.default);
  return hlsModule;
}

export interface HlsOptions {
  live: boolean;
  config?: Partial<HlsConfig>;
  /** Called once hls.js is loaded and attached (before the playlist arrives). */
  onReady?: (hls: Hls, HlsJs: HlsClass) => void;
}

/** Plays an HLS playlist (live or VOD) in `video` with hls.js, sending the bearer token. */
export function startHls(
  url: string,
  video: HTMLVideoElement,
  getToken: () => string | null,
  callbacks: PlayerCallbacks,
  options: HlsOptions,
): PlayerHandle {
  const state: { closed: boolean; hls: Hls | null } = { closed: false, hls: null };
  loadHls().then(
    (HlsJs) => {
      if (state.closed) return;
      if (!HlsJs.isSupported()) {
        // Native HLS (Safari) cannot send the Authorization header the server requires.
        callbacks.onError("this browser cannot play HLS here (no Media Source Extensions)");
        return;
      }
      state.hls = attachHls(HlsJs, url, video, getToken, callbacks, options, () => state.closed);
    },
    (err: unknown) => {
      if (!state.closed) callbacks.onError(`cannot load the HLS player: ${describe(err)}`);
    },
  );
  return {
    close: () => {
      if (state.closed) return;
      state.closed = true;
      state.hls?.destroy();
      emptyVideo(video);
    },
    latency: () => {
      const hls = state.hls;
      if (state.closed || hls === null || !options.live) return Promise.resolve(null);
      return Promise.resolve(hlsLatency(hls));
    },
  };
}

function attachHls(
  HlsJs: HlsClass,
  url: string,
  video: HTMLVideoElement,
  getToken: () => string | null,
  callbacks: PlayerCallbacks,
  options: HlsOptions,
  isClosed: () => boolean,
): Hls {
  const hls = new HlsJs({
    xhrSetup: (xhr) => {
      const token = getToken();
      if (token !== null) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    },
    ...(options.live
      ? {
          // 1-2 s segments: start two segments behind the edge and speed up to catch up.
          liveSyncDurationCount: 2,
          liveMaxLatencyDurationCount: 6,
          maxLiveSyncPlaybackRate: 1.5,
          backBufferLength: 10,
        }
      : { backBufferLength: 60 }),
    ...options.config,
  });
  let mediaRecoveries = 0;
  hls.on(HlsJs.Events.ERROR, (_event, data: ErrorData) => {
    if (isClosed() || !data.fatal) return;
    const status = data.response?.code;
    if (data.type === HlsJs.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
      mediaRecoveries += 1;
      hls.recoverMediaError();
      return;
    }
    callbacks.onError(
      status !== undefined && status !== 0 ? `${data.details} (HTTP ${status})` : data.details,
    );
  });
  hls.on(HlsJs.Events.MANIFEST_PARSED, () => {
    video.play().catch(() => undefined);
  });
  options.onReady?.(hls, HlsJs);
  hls.loadSource(url);
  hls.attachMedia(video);
  return hls;
}

function hlsLatency(hls: Hls): Latency | null {
  const playing = hls.playingDate;
  if (playing !== null) {
    return {
      seconds: Math.max(0, (Date.now() - playing.getTime()) / 1000),
      basis: "camera clock",
      explanation:
        "HLS: this browser's clock minus the recording time of the frame on screen " +
        "(EXT-X-PROGRAM-DATE-TIME); includes camera, server and browser delay.",
    };
  }
  const latency = hls.latency;
  if (!Number.isFinite(latency) || latency <= 0) return null;
  return {
    seconds: latency,
    basis: "playlist edge",
    explanation:
      "HLS: distance from the newest segment in the playlist (hls.js); the time to make that segment is not included.",
  };
}

/**
 * Starts the live HLS stream of a camera (asks the server where it is first).
 * The server makes one HLS stream per camera, whichever stream the view wanted.
 */
export function startLiveHls(
  api: ApiClient,
  video: HTMLVideoElement,
  cameraId: string,
  getToken: () => string | null,
  callbacks: PlayerCallbacks,
): PlayerHandle {
  const controller = new AbortController();
  let inner: PlayerHandle | null = null;
  let closed = false;
  void liveInfo(api, cameraId, controller.signal).then(
    (info) => {
      if (closed) return;
      if (!info.hls_ready) {
        // Asking now would only get 404s; the caller tries again shortly.
        callbacks.onError("the live HLS stream is not ready yet");
        return;
      }
      inner = startHls(info.hls, video, getToken, callbacks, { live: true });
    },
    (err: unknown) => {
      if (closed || (err instanceof DOMException && err.name === "AbortError")) return;
      callbacks.onError(describe(err));
    },
  );
  return {
    close: () => {
      closed = true;
      controller.abort();
      inner?.close();
    },
    latency: () => inner?.latency() ?? Promise.resolve(null),
  };
}
