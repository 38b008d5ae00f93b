"""Live-broadcast model of the simulated DVR: one clock, channels offset into one loop.

Frame numbers `g` are global: frame `g` of every channel is due at
`origin + g / fps` on the monotonic clock and shows content frame
`(g + offset(channel)) % frame_count`. Offsets are whole GOPs, so frame `g`
is a keyframe on every channel exactly when `g % gop == 0`, and RTP
timestamps derived from `g` keep rising across the loop's wrap-around.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from vigil.dvr.simulator.content import H264Content
from vigil.dvr.simulator.rtp import DEFAULT_MAX_PAYLOAD, H264_CLOCK_RATE, packetize_access_unit


@dataclass(frozen=True, slots=True)
class Program:
    """One encoded stream (main or sub) with its RTP payloads packetised once, up front."""

    content: H264Content
    payloads: tuple[tuple[bytes, ...], ...]
    bitrate_kbps: int

    @classmethod
    def from_content(cls, content: H264Content, max_payload: int = DEFAULT_MAX_PAYLOAD) -> Program:
        payloads = tuple(tuple(packetize_access_unit(f, max_payload)) for f in content.frames)
        total_bytes = sum(len(n) for f in content.frames for n in f)
        return cls(content, payloads, round(total_bytes * 8 / content.duration_s / 1000))

    @property
    def ticks_per_frame(self) -> int:
        """RTP clock ticks (90 kHz) per frame."""
        return H264_CLOCK_RATE // self.content.fps


class LiveClock:
    """Maps global frame numbers to monotonic deadlines (seconds) and back."""

    def __init__(self, fps: int, gop: int, origin_s: float | None = None) -> None:
        self.fps = fps
        self.gop = gop
        self.origin_s = time.monotonic() if origin_s is None else origin_s

    def deadline_s(self, frame: int) -> float:
        """Monotonic time at which global frame `frame` is due."""
        return self.origin_s + frame / self.fps

    def next_keyframe(self, now_s: float | None = None) -> int:
        """The first keyframe number due at or after `now_s` (default: now)."""
        now_s = time.monotonic() if now_s is None else now_s
        frame = max(0, math.ceil((now_s - self.origin_s) * self.fps))
        return -(-frame // self.gop) * self.gop


def channel_offset(channel: int, channels: int, frame_count: int, gop: int) -> int:
    """Where channel `channel` (from 1) starts in the loop: spread evenly, in whole GOPs."""
    gops = frame_count // gop
    return ((channel - 1) * gops // channels) * gop


class ChannelGate:
    """Fault hook: a paused channel keeps its connections open but sends nothing."""

    def __init__(self) -> None:
        self._running = asyncio.Event()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def wait_running(self) -> None:
        await self._running.wait()


@dataclass(frozen=True, slots=True)
class SimulatorStats:
    """Counters since start: sessions, clients dropped for falling behind, frames and bytes sent."""

    sessions_total: int
    sessions_active: int
    clients_dropped: int
    frames_sent: int
    bytes_sent: int


class Counters:
    """Mutable counters behind `SimulatorStats`; touched only on the event loop."""

    __slots__ = (
        "bytes_sent",
        "clients_dropped",
        "frames_sent",
        "sessions_active",
        "sessions_total",
    )

    def __init__(self) -> None:
        self.sessions_total = 0
        self.sessions_active = 0
        self.clients_dropped = 0
        self.frames_sent = 0
        self.bytes_sent = 0

    def snapshot(self) -> SimulatorStats:
        return SimulatorStats(
            self.sessions_total,
            self.sessions_active,
            self.clients_dropped,
            self.frames_sent,
            self.bytes_sent,
        )
