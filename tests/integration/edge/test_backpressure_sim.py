"""Back-pressure: a detector far slower than the cameras makes the analysis queue drop
frames (counted), while recording loses nothing. Real simulator, real camera workers, the
real detection worker with a slow detector injected. About 40 s."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from prometheus_client import REGISTRY

from vigil.bus import MemoryBus, topics
from vigil.clock import SystemClock
from vigil.dvr.simulator import BackgroundSimulator, DvrSimulator
from vigil.edge.camera import CameraWorker
from vigil.model.detections import Detections
from vigil.model.messages import Frame, SegmentInfo
from vigil.storage import FsObjectStore
from vigil.vision.pipeline import GateSettings
from vigil.vision.worker import DetectionWorker

pytestmark = pytest.mark.slow


class SlowDetector:
    """Takes `delay_s` per frame (a model far too heavy for this box) and finds nothing."""

    name = "slow-test-detector"
    classes = ("person",)

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.calls = 0

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        self.calls += 1
        time.sleep(self.delay_s)
        return Detections.empty()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundSimulator]:
    running = BackgroundSimulator(
        DvrSimulator(
            port=0,
            channels=2,
            password="Pressure-1",
            duration_s=12,
            cache_dir=tmp_path_factory.mktemp("sim-cache"),
        )
    )
    running.start()
    yield running
    running.stop()


def dropped_total() -> float:
    return sum(
        s.value
        for metric in REGISTRY.collect()
        if metric.name == "frames_dropped"
        for s in metric.samples
        if s.name == "frames_dropped_total"
    )


async def test_slow_detection_drops_frames_never_segments(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    bus = MemoryBus()
    await bus.start()
    detector = SlowDetector(delay_s=1.5)  # 2 cameras at 1 fps: 3x more work than it can do
    detection = DetectionWorker(bus, detector, max_pending=2, gate=GateSettings(enabled=False))
    await detection.start()
    segments: list[SegmentInfo] = []
    frames: list[Frame] = []
    loop = asyncio.get_running_loop()
    lock = threading.Lock()

    def on_frame(frame: Frame) -> None:
        with lock:
            frames.append(frame)
        loop.call_soon_threadsafe(bus.publish, topics.FRAMES, frame.camera_id, frame)

    cams = [
        CameraWorker(
            f"bp-{n}",
            sim.url(n),
            store=FsObjectStore(tmp_path / "store"),
            staging_dir=tmp_path / "staging",
            clock=SystemClock(),
            on_frame=on_frame,
            on_segment=segments.append,
            on_status=lambda status: None,
        )
        for n in (1, 2)
    ]
    before = dropped_total()
    for cam in cams:
        cam.start()
    try:
        deadline = time.monotonic() + 120  # guard only
        while (
            sum(1 for s in segments if s.camera_id == "bp-1") < 3
            or len([s for s in segments if s.camera_id == "bp-2"]) < 3
        ):
            assert time.monotonic() < deadline, "recording did not progress"
            await asyncio.sleep(0.2)
    finally:
        for cam in cams:
            await asyncio.to_thread(cam.stop)
        await detection.stop()
        await bus.stop()

    assert detection.dropped > 0 and dropped_total() - before >= detection.dropped
    assert detection.frames_done + detection.dropped <= len(frames)
    assert detection.frames_done < len(frames) / 2  # it really could not keep up
    for cam_id in ("bp-1", "bp-2"):  # recording was untouched: contiguous 10 s segments
        mine = sorted((s for s in segments if s.camera_id == cam_id), key=lambda s: s.start)
        gaps = [(b.start - a.end).total_seconds() for a, b in itertools.pairwise(mine)]
        assert all(g <= 0.5 for g in gaps)
        assert all(9.0 <= s.duration_s <= 11.0 for s in mine[:-1])
