"""A live test stream with the wall clock burnt into each frame, for end-to-end latency.

A "clock channel" (`--clock-channel N`) is encoded live instead of looping footage: small
frames (320x192, grey, a moving bar) carry, in a grid of black/white 16x16 blocks at the
top left, the milliseconds since the Unix epoch at which the frame was due. A viewer reads
the blocks off the displayed picture (tests/support/latency_probe.js does it from a
<video> element through a canvas) and subtracts them from its own clock: the latency from
capture to screen, whatever the path (RTSP -> Vigil -> WebRTC or HLS -> browser).

Layout (pixels of the coded picture): `COLS` x `ROWS` blocks of `BLOCK` px from (0, 0);
block i (row-major) is bit i counted from the most significant: 44 bits of milliseconds,
then a 4-bit check (the number of one bits in the 44, mod 16). White (235) = 1, black (16)
= 0. Blocks are macroblock-aligned, so they survive compression at the bitrates used here.

Encoding 320x192 at 25 fps with x264 `ultrafast` + `zerolatency` costs a few per cent of a
core; frames are encoded once per frame number and shared by every session of the channel.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from fractions import Fraction

import av
import numpy as np

from vigil.dvr.simulator.content import H264Content
from vigil.dvr.simulator.h264 import NAL_PPS, NAL_SPS, nal_type, split_annexb
from vigil.dvr.simulator.live import LiveClock
from vigil.dvr.simulator.rtp import DEFAULT_MAX_PAYLOAD, packetize_access_unit

WIDTH, HEIGHT = 320, 192
BLOCK = 16
COLS, ROWS = 12, 4
TIME_BITS, CHECK_BITS = 44, 4
_CACHE_FRAMES = 250  # a session this far behind the encoder resyncs at the next keyframe
_BITRATE_BPS = 400_000


def check_bits(ms: int) -> int:
    return bin(ms).count("1") % 16


def draw(ms: int, frame: int) -> np.ndarray:
    """The RGB picture of frame number `frame` due at `ms` (milliseconds since the epoch)."""
    img = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    word = (ms << CHECK_BITS) | check_bits(ms)
    total = TIME_BITS + CHECK_BITS
    for i in range(total):
        bit = (word >> (total - 1 - i)) & 1
        r, c = divmod(i, COLS)
        img[r * BLOCK : (r + 1) * BLOCK, c * BLOCK : (c + 1) * BLOCK] = 235 if bit else 16
    x = (frame * 4) % WIDTH  # a moving bar: the picture visibly lives
    img[ROWS * BLOCK + 16 :, x : x + 8] = 200
    return img


def read(img: np.ndarray) -> int | None:
    """Milliseconds burnt into a decoded RGB picture, or None if the check fails."""
    word = 0
    for i in range(TIME_BITS + CHECK_BITS):
        r, c = divmod(i, COLS)
        y, x = r * BLOCK + BLOCK // 2, c * BLOCK + BLOCK // 2
        luma = float(img[y - 3 : y + 3, x - 3 : x + 3].mean())
        word = (word << 1) | (1 if luma > 128 else 0)
    ms, check = word >> CHECK_BITS, word & 0xF
    return ms if check_bits(ms) == check else None


class ClockProgram:
    """The clock channel's H.264, encoded frame by frame as sessions reach each frame."""

    def __init__(self, clock: LiveClock, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self._clock = clock
        self._max_payload = max_payload
        codec = av.CodecContext.create("libx264", "w")
        assert isinstance(codec, av.video.codeccontext.VideoCodecContext)
        codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        codec.time_base = Fraction(1, clock.fps)
        codec.framerate = Fraction(clock.fps, 1)
        codec.bit_rate = _BITRATE_BPS
        kbps = _BITRATE_BPS // 1000
        codec.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "x264-params": (
                f"keyint={clock.gop * 10}:min-keyint={clock.gop}:scenecut=0:bframes=0:"
                f"forced-idr=1:repeat-headers=1:aud=1:vbv-maxrate={kbps}:vbv-bufsize={kbps}"
            ),
        }
        self._codec = codec
        # Wall clock = monotonic + offset, taken once: frame times are exactly 1/fps apart.
        self._wall_offset_s = time.time() - time.monotonic()
        self._cache: OrderedDict[int, tuple[bytes, ...]] = OrderedDict()
        self._last = -1
        first = self._encode(clock.next_keyframe())
        sps = next(n for n in first if nal_type(n) == NAL_SPS)
        pps = next(n for n in first if nal_type(n) == NAL_PPS)
        # What DESCRIBE needs (size, SPS/PPS); the frames themselves come from `payloads`.
        self.content = H264Content(WIDTH, HEIGHT, clock.fps, clock.gop, sps, pps, (first,))
        self.bitrate_kbps = kbps

    def payloads(self, frame: int) -> tuple[bytes, ...] | None:
        """RTP payloads of global frame `frame`; None if it is too old to encode now (the
        caller then resyncs at the next keyframe)."""
        cached = self._cache.get(frame)
        if cached is not None:
            return cached
        if frame <= self._last:
            return None
        self._encode(frame)
        return self._cache[frame]

    def _encode(self, frame: int) -> tuple[bytes, ...]:
        ms = round((self._wall_offset_s + self._clock.deadline_s(frame)) * 1000)
        vf = av.VideoFrame.from_ndarray(draw(ms, frame), format="rgb24")
        vf.pts = frame
        if frame % self._clock.gop == 0 or self._last < 0 or frame != self._last + 1:
            vf.pict_type = av.video.frame.PictureType.I
        nals = tuple(n for p in self._codec.encode(vf) for n in split_annexb(bytes(p)))
        payloads = tuple(packetize_access_unit(nals, self._max_payload))
        self._last = frame
        self._cache[frame] = payloads
        while len(self._cache) > _CACHE_FRAMES:
            self._cache.popitem(last=False)
        return nals
