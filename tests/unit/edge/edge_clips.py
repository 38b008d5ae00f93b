"""Helpers for the edge tests: H.264 clips made with PyAV's libx264, fed as the worker does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from vigil.clock import FakeClock
from vigil.edge.recorder import SegmentRecorder
from vigil.edge.sampler import FrameSampler
from vigil.edge.stream import StreamTimeline

FPS = 25
CLIP_S = 35


def make_clip(path: Path, *, seconds: float = CLIP_S, fps: int = FPS, gop: int = FPS) -> Path:
    """A 320x240 H.264 MP4 (no B-frames) with a moving square, keyframe every `gop` frames."""
    width, height = 320, 240
    with av.open(str(path), "w") as out:
        stream = out.add_stream(
            "libx264",
            rate=fps,
            options={
                "preset": "ultrafast",
                "g": str(gop),
                "keyint_min": str(gop),
                "sc_threshold": "0",
                "bf": "0",
            },
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        img = np.zeros((height, width, 3), np.uint8)
        for i in range(int(seconds * fps)):
            img[:] = (i * 3) % 256
            x = (i * 4) % (width - 20)
            img[100:120, x : x + 20] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def clip_packets(path: Path) -> Iterator[av.Packet[Any]]:
    """The clip's video packets that carry data (the flush packet is skipped)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size:
                yield packet


def feed_clip(
    path: Path,
    *,
    clock: FakeClock,
    recorder: SegmentRecorder | None = None,
    sampler: FrameSampler | None = None,
    alter: Callable[[int, Any], Any | None] | None = None,
    finish: bool = True,
) -> int:
    """Feed the clip packet by packet as the worker does; `alter(i, packet)` may change a
    packet or return None to drop it. Returns the number of packets fed."""
    n = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if recorder is not None:
            recorder.begin(stream)
        if sampler is not None:
            sampler.begin(stream)
        assert stream.time_base is not None
        timeline: StreamTimeline | None = None
        for i, original in enumerate(p for p in container.demux(stream) if p.size):
            packet = alter(i, original) if alter is not None else original
            if packet is None:
                continue
            if timeline is None:
                assert packet.pts is not None
                first_pts: int = packet.pts
                timeline = StreamTimeline(clock, stream.time_base, first_pts, max_drift_s=None)
            n += 1
            if sampler is not None:
                sampler.feed(packet, timeline.wall)
            if recorder is not None:
                recorder.write(packet, timeline.wall(packet.pts))
    if recorder is not None and finish:
        recorder.finish()
    return n


@dataclass(frozen=True)
class SegmentFile:
    duration_s: float
    frames: int
    first_is_key: bool
    width: int


def inspect_segment(path: Path) -> SegmentFile:
    """Open a stored segment with PyAV and decode it all: proves it plays on its own."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        duration_s = float(stream.duration * stream.time_base)
        frames = list(container.decode(stream))
    return SegmentFile(duration_s, len(frames), frames[0].key_frame, frames[0].width)
