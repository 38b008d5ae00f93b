"""Turn a camera's packets into analysis frames at about one per `frame_interval_s`.

Cheap path: only keyframes are decoded (`skip_frame = "NONKEY"`), which gives one frame per
GOP. When the GOP is longer than `max_keyframe_gap_s` (1.5 s by default) keyframes alone are
too sparse, so the sampler switches to decoding every frame and keeping one per interval;
it switches back when the GOP shortens. Mode changes happen on keyframes, where the decoder
needs no earlier frames.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import av.error
import numpy as np
import numpy.typing as npt
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from vigil.edge.metrics import CameraMetrics
from vigil.model.messages import Frame

logger = logging.getLogger(__name__)

DEFAULT_FRAME_INTERVAL_S = 1.0
DEFAULT_MAX_KEYFRAME_GAP_S = 1.5
# A frame a little early (timestamp jitter) still fills its interval: 1.0 s apart at
# 0.999 s spacing must not halve the rate.
_EARLY_TOLERANCE = 0.1


class FrameSampler:
    """Decodes the packets it is fed and hands `on_frame` about one `Frame` per interval.

    Call `begin(stream)` for each new connection and `feed(packet, wall_of)` for every video
    packet, before the recorder consumes it. `wall_of(pts)` maps a timestamp to UTC.
    Decode errors and frames the decoder marks corrupt are counted and skipped.
    Not thread-safe: one worker thread owns it.
    """

    def __init__(
        self,
        camera_id: str,
        *,
        on_frame: Callable[[Frame], None],
        frame_interval_s: float = DEFAULT_FRAME_INTERVAL_S,
        max_keyframe_gap_s: float = DEFAULT_MAX_KEYFRAME_GAP_S,
        metrics: CameraMetrics | None = None,
    ) -> None:
        if frame_interval_s <= 0:
            raise ValueError(f"frame_interval_s must be > 0, got {frame_interval_s}")
        self.camera_id = camera_id
        self.frame_interval_s = frame_interval_s
        self.max_keyframe_gap_s = max_keyframe_gap_s
        self._on_frame = on_frame
        self._metrics = metrics
        self._codec: VideoCodecContext | None = None
        self._time_base = 0.0
        self._decode_all = False
        self._last_key_pts: int | None = None
        self._synced = False  # the decoder has seen a keyframe of this connection
        self._next_slot: int | None = None
        self._origin_s = 0.0
        self.seq = 0
        self.gop_s: float | None = None
        self.frames_emitted = 0
        self.frames_decoded = 0
        self.corrupt_packets = 0

    @property
    def decode_all(self) -> bool:
        """True while the GOP is too long for keyframe-only sampling."""
        return self._decode_all

    def begin(self, stream: VideoStream) -> None:
        """A new connection: decode with `stream`'s codec context from its next keyframe."""
        codec = stream.codec_context
        # One decoder thread: cameras run in parallel already, and frame threading would
        # hold each keyframe back until later ones arrive.
        codec.thread_count = 1
        codec.skip_frame = "DEFAULT" if self._decode_all else "NONKEY"
        self._codec = codec
        self._time_base = float(stream.time_base or 0.0)
        self._last_key_pts = None
        self._synced = False

    def feed(self, packet: Packet[Any], wall_of: Callable[[int | None], datetime]) -> None:
        """Decode `packet` if the current mode needs it; emit a frame when one is due."""
        codec = self._codec
        if codec is None:
            raise RuntimeError("FrameSampler.begin(stream) first")
        pts = packet.pts if packet.pts is not None else packet.dts
        if packet.is_keyframe:
            self._on_keyframe(codec, pts)
        elif not (self._decode_all and self._synced):
            return  # keyframe-only mode: delta frames are not even handed to the decoder
        try:
            frames = codec.decode(packet)
        except av.error.FFmpegError as err:
            self._count_corrupt(f"undecodable packet skipped: {err.strerror}")
            return
        corrupt = packet.is_corrupt
        for frame in frames:
            self.frames_decoded += 1
            if frame.is_corrupt:  # concealed damage: a smeared image would mislead detection
                corrupt = True
                continue
            self._maybe_emit(frame, pts, wall_of)
        if corrupt:
            self._count_corrupt("corrupt packet; its frame was not used")

    def _count_corrupt(self, what: str) -> None:
        self.corrupt_packets += 1
        if self._metrics is not None:
            self._metrics.stream_packets_corrupt.inc()
        logger.debug("camera %s: %s", self.camera_id, what)

    def _on_keyframe(self, codec: VideoCodecContext, pts: int | None) -> None:
        self._synced = True
        if pts is None:
            return
        if self._last_key_pts is not None and pts > self._last_key_pts:
            self.gop_s = (pts - self._last_key_pts) * self._time_base
            want_all = self.gop_s > self.max_keyframe_gap_s
            if want_all != self._decode_all:
                logger.info(
                    "camera %s: GOP %.2f s, sampling %s",
                    self.camera_id,
                    self.gop_s,
                    "all frames" if want_all else "keyframes only",
                )
                self._decode_all = want_all
                codec.skip_frame = "DEFAULT" if want_all else "NONKEY"
        self._last_key_pts = pts

    def _maybe_emit(
        self, frame: VideoFrame, packet_pts: int | None, wall_of: Callable[[int | None], datetime]
    ) -> None:
        wall = wall_of(frame.pts if frame.pts is not None else packet_pts)
        t_s = wall.timestamp()
        # Slots on a grid from the first frame: at most one frame per interval, and no drift
        # when frames come slightly more often than the interval.
        if self._next_slot is None:
            self._origin_s, self._next_slot = t_s, 0
        slot = math.floor((t_s - self._origin_s) / self.frame_interval_s + _EARLY_TOLERANCE)
        if slot < self._next_slot - 2:  # time went backwards (clock set back): restart the grid
            self._origin_s, slot = t_s, 0
        elif slot < self._next_slot:
            return
        self._next_slot = slot + 1
        try:
            image: npt.NDArray[np.uint8] = frame.to_ndarray(format="bgr24")  # type: ignore[assignment]  # bgr24 is uint8
        except (av.error.FFmpegError, ValueError) as err:
            self._count_corrupt(f"frame conversion failed: {err}")
            return
        self.seq += 1
        self.frames_emitted += 1
        try:
            self._on_frame(
                Frame(camera_id=self.camera_id, timestamp=wall, seq=self.seq, image=image)
            )
        except Exception:
            logger.exception("camera %s: on_frame callback failed", self.camera_id)
