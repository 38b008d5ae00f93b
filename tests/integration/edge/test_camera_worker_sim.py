"""CameraWorker against the real DVR simulator (RTSP/TCP, 960x1080 H.264 25 fps, GOP 1 s).

The simulator runs on its own event loop in a background thread; the worker blocks in
PyAV in its own thread, exactly as on a site. About 50 s in all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pytest

from vigil.clock import SystemClock
from vigil.dvr.simulator import BackgroundSimulator, DvrSimulator
from vigil.edge.backoff import Backoff
from vigil.edge.camera import CameraWorker
from vigil.model.messages import CameraState, CameraStatus, Frame, SegmentInfo
from vigil.storage import FsObjectStore
from vigil.storage.recordings import BUCKET

pytestmark = pytest.mark.slow

PASSWORD = "Sim-Pass-42"


class Recorded:
    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.segments: list[SegmentInfo] = []
        self.statuses: list[CameraStatus] = []

    @property
    def states(self) -> list[CameraState]:
        return [s.state for s in self.statuses]


def wait_for(cond: Callable[[], bool], timeout_s: float) -> None:
    """Poll `cond`; the timeout only guards against hanging."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        threading.Event().wait(0.05)


def simulator(cache_dir: Path, port: int = 0) -> BackgroundSimulator:
    return BackgroundSimulator(
        DvrSimulator(port=port, channels=2, password=PASSWORD, duration_s=12, cache_dir=cache_dir)
    )


@pytest.fixture(scope="module")
def sim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dvr-sim-cache")


@pytest.fixture
def sim(sim_cache: Path) -> Iterator[BackgroundSimulator]:
    running = simulator(sim_cache)
    running.start()
    yield running
    running.stop()


def make_worker(
    url: str, tmp_path: Path, seen: Recorded, camera_id: str, **kw: object
) -> CameraWorker:
    return CameraWorker(
        camera_id,
        url,
        store=FsObjectStore(tmp_path / "store"),
        staging_dir=tmp_path / "staging",
        clock=SystemClock(),
        on_frame=seen.frames.append,
        on_segment=seen.segments.append,
        on_status=seen.statuses.append,
        backoff=Backoff(initial_s=0.5, max_s=2.0),
        **kw,  # type: ignore[arg-type]
    )


def decode_segment(path: Path) -> tuple[float, int, bool]:
    """(duration s, frames, first frame is a keyframe) of a stored segment, decoding it all."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        frames = list(container.decode(stream))
        return float(stream.duration * stream.time_base), len(frames), frames[0].key_frame


def test_records_samples_survives_a_dvr_restart(
    sim: BackgroundSimulator, sim_cache: Path, tmp_path: Path
) -> None:
    seen = Recorded()
    worker = make_worker(sim.url(1), tmp_path, seen, "sim-1")
    store = FsObjectStore(tmp_path / "store")
    worker.start()
    try:
        wait_for(lambda: len(seen.segments) >= 2, timeout_s=60)
        online = seen.statuses[seen.states.index(CameraState.ONLINE)]
        assert (online.width, online.height) == (960, 1080)
        status = worker.status
        assert status.fps is not None and 20 <= status.fps <= 30

        # 1 fps frames of the main stream, from keyframes (the simulator's GOP is 1 s)
        first, second = seen.segments[:2]
        in_span = [f for f in seen.frames if first.start <= f.timestamp < second.end]
        assert 0.8 * 20 <= len(in_span) <= 1.2 * 20 + 1
        assert seen.frames[0].image.shape == (1080, 960, 3)
        for segment in (first, second):
            assert 9.0 <= segment.duration_s <= 11.0
            path = store.local_path(BUCKET, segment.key)
            assert path is not None
            duration_s, frames, key_first = decode_segment(path)
            assert 9.0 <= duration_s <= 11.0 and key_first
            assert abs(frames - 25 * duration_s) <= 2

        # the DVR goes away: the worker notices and keeps trying
        port = sim.port
        sim.stop()
        wait_for(lambda: worker.status.state is CameraState.RECONNECTING, timeout_s=20)
        stored_before = len(seen.segments)
        onlines_before = seen.states.count(CameraState.ONLINE)

        # ...and comes back on the same port: the worker reconnects by itself
        with simulator(sim_cache, port=port):
            wait_for(lambda: seen.states.count(CameraState.ONLINE) > onlines_before, 30)
            restart_wall = seen.statuses[-1].changed_at
            wait_for(lambda: len(seen.frames) > 0 and seen.frames[-1].timestamp > restart_wall, 10)
            worker.stop()
        assert worker.status.reconnects >= 1
    finally:
        worker.stop()

    resumed = [s for s in seen.segments[stored_before:] if s.start >= restart_wall]
    assert resumed, "no segment recorded after the DVR came back"
    path = store.local_path(BUCKET, resumed[-1].key)
    assert path is not None and decode_segment(path)[2]
    assert seen.states[-1] is CameraState.OFFLINE


def test_wrong_password_is_auth_failed_without_the_password(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    seen = Recorded()
    url = sim.url(2).replace(f"password={PASSWORD}", "password=Not-The-Pass-7")
    worker = make_worker(url, tmp_path, seen, "sim-2")
    worker.start()
    try:
        wait_for(lambda: worker.status.state is CameraState.AUTH_FAILED, timeout_s=20)
    finally:
        worker.stop()
    detail = seen.statuses[seen.states.index(CameraState.AUTH_FAILED)].detail or ""
    assert "user 'admin'" in detail
    assert "Not-The-Pass-7" not in detail and PASSWORD not in detail


def test_a_stalled_stream_is_detected_and_recovers(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    seen = Recorded()
    worker = make_worker(sim.url(2), tmp_path, seen, "sim-3", stall_timeout_s=2.0)
    worker.start()
    try:
        wait_for(lambda: worker.status.state is CameraState.ONLINE, timeout_s=20)
        sim.call(lambda: sim.simulator.pause_channel(2))
        wait_for(lambda: worker.status.state is CameraState.RECONNECTING, timeout_s=20)
        assert "stalled" in (worker.status.detail or "")
        sim.call(lambda: sim.simulator.resume_channel(2))
        wait_for(lambda: seen.states.count(CameraState.ONLINE) >= 2, timeout_s=30)
    finally:
        worker.stop()
    assert seen.segments  # the segment open when the stream stalled was closed and stored
