"""WebRTC live view: the camera's H.264 passed through to browsers without re-encoding.

One aiortc `MediaPlayer` (RTSP over TCP, `decode=False`) per (camera, stream) is shared by
all its viewers through a `MediaRelay`; it is closed when its last viewer leaves. Each
answer offers H.264 only (`setCodecPreferences`), since aiortc would otherwise fall back to
VP8 and re-encode. Peers that do not connect within `connect_timeout_s`, or whose
connection fails, are closed; `close()` ends them all at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRelay
from aiortc.sdp import SessionDescription

from vigil.dvr.cpplus import mask_url
from vigil.errors import VigilError

log = logging.getLogger(__name__)

StreamName = Literal["main", "sub"]
DEFAULT_MAX_PEERS = 32
_CONNECT_TIMEOUT_S = 30.0
_OPEN_TIMEOUT_S = 10.0
# RTSP over TCP, 5 s socket timeout. The packets are passed through, never decoded, so the
# stream needs no probing beyond its SDP: without these, opening took 2.0 s instead of 1.0 s
# against the simulator (the first viewer of a camera waits for it).
_PLAYER_OPTIONS = {
    "rtsp_transport": "tcp",
    "timeout": "5000000",
    "analyzeduration": "0",
    "probesize": "32768",
}


class BadOfferError(VigilError):
    status_code = 422


class TooManyViewersError(VigilError):
    status_code = 503


class CameraStreamError(VigilError):
    """The camera's stream could not be opened for WebRTC."""

    status_code = 502


@dataclass(slots=True)
class _Source:
    player: MediaPlayer
    masked_url: str
    viewers: set[RTCPeerConnection] = field(default_factory=set)


def check_offer(sdp: str) -> None:
    """Refuse an offer that is not SDP or has no video that can receive H.264."""
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as err:  # aiortc raises assorted errors on garbage
        raise BadOfferError(f"sdp: not a valid SDP offer ({type(err).__name__})") from err
    video = [m for m in parsed.media if m.kind == "video"]
    if not video:
        raise BadOfferError("sdp: the offer has no video m-line (add a recvonly video transceiver)")
    if not any(c.mimeType.lower() == "video/h264" for m in video for c in m.rtp.codecs):
        raise BadOfferError("sdp: the offer's video accepts no H.264 (the cameras send H.264)")


class WebRtcRelay:
    """Answers WebRTC offers with a camera's stream; `url_of(camera_id, stream)` gives the
    RTSP URL (it may hold a password: only ever logged masked)."""

    def __init__(
        self,
        url_of: Callable[[str, StreamName], str],
        *,
        max_peers: int = DEFAULT_MAX_PEERS,
        connect_timeout_s: float = _CONNECT_TIMEOUT_S,
    ) -> None:
        self._url_of = url_of
        self.max_peers = max_peers
        self.connect_timeout_s = connect_timeout_s
        self._relay = MediaRelay()
        self._sources: dict[tuple[str, StreamName], _Source] = {}
        self._peers: dict[RTCPeerConnection, tuple[str, StreamName]] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def peers(self) -> int:
        return len(self._peers)

    def viewers(self, camera_id: str) -> int:
        return sum(1 for cam, _ in self._peers.values() if cam == camera_id)

    def source_url(self, camera_id: str, stream: StreamName) -> str | None:
        """The (masked) URL the camera's `stream` is open on for its viewers, if it is."""
        source = self._sources.get((camera_id, stream))
        return source.masked_url if source is not None else None

    async def forget(self, camera_id: str) -> int:
        """The camera changed source (or is gone): close its viewers and its streams, so the
        next offer opens what the camera is now; returns how many viewers were closed. Their
        dashboards see the connection closed and reconnect."""
        async with self._lock:
            peers = [pc for pc, (cam, _) in self._peers.items() if cam == camera_id]
            for pc in peers:
                await self._close_peer(pc)
        if peers:
            log.info("webrtc: camera %s changed; %d viewer(s) closed", camera_id, len(peers))
        return len(peers)

    async def answer(self, camera_id: str, stream: StreamName, offer_sdp: str) -> str:
        """The SDP answer to a browser's offer for `camera_id`'s `stream`."""
        check_offer(offer_sdp)
        async with self._lock:
            if len(self._peers) >= self.max_peers:
                raise TooManyViewersError(
                    f"{len(self._peers)} WebRTC viewers already (the limit is {self.max_peers});"
                    " use HLS or close another live view"
                )
            source = await self._source(camera_id, stream)
            pc = RTCPeerConnection()
            source.viewers.add(pc)
            self._peers[pc] = (camera_id, stream)
        try:
            video = source.player.video
            assert video is not None
            sender = pc.addTrack(self._relay.subscribe(video, buffered=False))
            h264 = [
                c
                for c in RTCRtpSender.getCapabilities("video").codecs
                if c.mimeType == "video/H264"
            ]
            for transceiver in pc.getTransceivers():
                if transceiver.sender is sender:
                    transceiver.setCodecPreferences(h264)
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as err:
            await self._close_peer(pc)
            raise BadOfferError(f"sdp: the offer cannot be answered: {err}") from err
        self._watch(pc)
        return pc.localDescription.sdp

    async def _source(self, camera_id: str, stream: StreamName) -> _Source:
        source = self._sources.get((camera_id, stream))
        if source is not None:
            return source
        url = self._url_of(camera_id, stream)
        try:
            player = await asyncio.wait_for(
                asyncio.to_thread(
                    MediaPlayer,
                    url,
                    format="rtsp",
                    options=_PLAYER_OPTIONS,
                    decode=False,
                ),
                _OPEN_TIMEOUT_S,
            )
        except Exception as err:
            log.warning("webrtc: cannot open %s: %s", mask_url(url), type(err).__name__)
            raise CameraStreamError(
                f"camera {camera_id!r}: its {stream} stream cannot be opened right now"
            ) from err
        if player.video is None:
            raise CameraStreamError(f"camera {camera_id!r}: its {stream} stream has no video")
        source = self._sources[(camera_id, stream)] = _Source(player, mask_url(url))
        log.info("webrtc: opened camera %s (%s stream)", camera_id, stream)
        return source

    def _watch(self, pc: RTCPeerConnection) -> None:
        @pc.on("connectionstatechange")
        async def changed() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._close_peer(pc)

        async def deadline() -> None:
            await asyncio.sleep(self.connect_timeout_s)
            if pc.connectionState != "connected":
                await self._close_peer(pc)

        task = asyncio.create_task(deadline(), name="webrtc-connect-deadline")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close_peer(self, pc: RTCPeerConnection) -> None:
        key = self._peers.pop(pc, None)
        with contextlib.suppress(Exception):
            await pc.close()
        if key is None:
            return
        source = self._sources.get(key)
        if source is None:
            return
        source.viewers.discard(pc)
        if not source.viewers:
            del self._sources[key]
            video = source.player.video
            if video is not None:
                video.stop()  # the player's last track: its reader thread ends
            log.info("webrtc: closed camera %s (%s stream), no viewers left", *key)

    async def close(self) -> None:
        """Close every peer connection and camera stream (at shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        for pc in list(self._peers):
            await self._close_peer(pc)
