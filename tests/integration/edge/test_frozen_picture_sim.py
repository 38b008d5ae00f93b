"""A frozen picture end to end: the DVR simulator's channel 1 starts looping one still
picture (its freezing fault, a stuck encoder) while the stream stays healthy; the camera
worker (real RTSP, PyAV keyframe decode) feeds the camera health monitor over the bus, which
raises `camera_frozen` on the alert path and resolves it when the picture moves again.
Channel 2 is the simulator's night channel (a dark yard where only sensor noise moves),
watched all along: it raises nothing.

The monitor judges by the frames' capture times; the freeze time is set to its least (5 s),
so the test waits seconds, not the default minute. About 30 s in all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.bus import MemoryBus, topics
from vigil.bus.base import Subscription
from vigil.clock import SystemClock
from vigil.config import CameraHealthConfig
from vigil.dvr.simulator import BackgroundSimulator, DvrSimulator
from vigil.edge.backoff import Backoff
from vigil.edge.camera import CameraWorker
from vigil.edge.camera_health import CameraHealthMonitor, HealthSettings
from vigil.model.messages import AlertCleared, AlertRequest, CameraStatus, Frame, SegmentInfo
from vigil.storage import FsObjectStore

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

PASSWORD = "Sim-Pass-42"


@pytest.fixture
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundSimulator]:
    cache = tmp_path_factory.mktemp("dvr-sim-cache")
    running = BackgroundSimulator(
        DvrSimulator(
            port=0,
            channels=2,
            password=PASSWORD,
            duration_s=12,
            cache_dir=cache,
            night_channels=(2,),
        )
    )
    running.start()
    yield running
    running.stop()


async def next_alert(sub: Subscription, timeout_s: float) -> AlertRequest | AlertCleared:
    message = await sub.get(timeout_s=timeout_s)
    assert message is not None, f"no alert within {timeout_s} s"
    sub.commit(message)
    assert isinstance(message.value, AlertRequest | AlertCleared)
    return message.value


async def test_a_frozen_channel_raises_camera_frozen_and_resolves_when_it_moves(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    clock = SystemClock()
    bus = MemoryBus(clock)
    alerts = bus.subscribe(topics.ALERT_REQUESTS, "test")
    frames: list[Frame] = []
    cfg = CameraHealthConfig(frozen_after_s=5)
    monitor = CameraHealthMonitor(bus, clock, HealthSettings(frozen_after_s=cfg.frozen_after_s))
    await monitor.start()

    loop = asyncio.get_running_loop()
    twelve_frames = asyncio.Event()

    def on_frame(frame: Frame) -> None:
        frames.append(frame)
        bus.publish(topics.FRAMES, frame.camera_id, frame)
        if sum(f.camera_id == "gate" for f in frames) >= 12:
            loop.call_soon_threadsafe(twelve_frames.set)

    def on_status(status: CameraStatus) -> None:
        bus.publish(topics.CAMERA_STATUS, status.camera_id, status)

    segments: list[SegmentInfo] = []
    worker, yard = (
        CameraWorker(
            camera_id,
            sim.url(channel),
            store=FsObjectStore(tmp_path / "store"),
            staging_dir=tmp_path / f"staging-{channel}",
            clock=clock,
            on_frame=on_frame,
            on_segment=segments.append,
            on_status=on_status,
            backoff=Backoff(initial_s=0.5, max_s=2.0),
        )
        for camera_id, channel in (("gate", 1), ("yard", 2))
    )
    worker.start()
    yard.start()
    try:
        # Live footage (pedestrians) for 12 s: more than twice the freeze time, no alert.
        async with asyncio.timeout(60):
            await twelve_frames.wait()
        assert await alerts.get(timeout_s=0.1) is None

        sim.call(lambda: sim.simulator.freeze_channel(1))
        raised = await next_alert(alerts, timeout_s=30)
        assert isinstance(raised, AlertRequest)
        assert (raised.type, raised.camera_id) == ("camera_frozen", "gate")
        assert raised.image is not None
        assert worker.status.fps is not None and worker.status.fps >= 20  # a healthy stream

        sim.call(lambda: sim.simulator.unfreeze_channel(1))
        cleared = await next_alert(alerts, timeout_s=15)
        assert isinstance(cleared, AlertCleared)
        assert cleared.key == raised.key and cleared.resolve
        assert await alerts.get(timeout_s=2) is None
        # The night yard, still but noisy, was watched all along: nothing raised for it.
        assert sum(f.camera_id == "yard" for f in frames) >= 20
    finally:
        worker.stop()
        yard.stop()
        await monitor.stop()
