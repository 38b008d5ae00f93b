"""CameraWorker on a local file (a stream that ends) and on RTSP stubs (error paths)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import REGISTRY

from tests.unit.edge.rtsp_stub import RtspStub
from vigil.clock import SystemClock
from vigil.edge.backoff import Backoff
from vigil.edge.camera import CameraWorker
from vigil.model.messages import CameraState, CameraStatus, Frame, SegmentInfo
from vigil.storage import FsObjectStore


class Recorded:
    """Everything a worker reported, appended from its thread."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.segments: list[SegmentInfo] = []
        self.statuses: list[CameraStatus] = []

    @property
    def states(self) -> list[CameraState]:
        return [s.state for s in self.statuses]


def wait_for(cond: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Poll `cond`; the timeout is only a guard against hanging."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        threading.Event().wait(0.02)


def make_worker(
    camera_id: str, url: str, tmp_path: Path, seen: Recorded, **kw: object
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
        **kw,  # type: ignore[arg-type]
    )


def metric(name: str, camera: str) -> float:
    return REGISTRY.get_sample_value(name, {"camera": camera}) or 0.0


def test_records_samples_and_reconnects_when_the_stream_ends(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    seen = Recorded()
    worker = make_worker(
        "file-cam",
        str(clips["gop1"]),
        tmp_path,
        seen,
        backoff=Backoff(initial_s=0.05, max_s=0.1),
    )
    assert worker.status.state is CameraState.CONNECTING
    worker.start()
    try:
        wait_for(lambda: seen.states.count(CameraState.ONLINE) >= 2)
    finally:
        worker.stop()
    assert not worker.alive

    first_pass = seen.segments[:4]
    assert [round(s.duration_s) for s in first_pass] == [10, 10, 10, 5]
    assert len(seen.frames) >= 35
    assert [f.seq for f in seen.frames] == list(range(1, len(seen.frames) + 1))
    assert seen.states[:3] == [CameraState.ONLINE, CameraState.RECONNECTING, CameraState.ONLINE]
    assert "ended" in (seen.statuses[1].detail or "")
    assert seen.statuses[0].width == 320 and seen.statuses[0].height == 240
    assert seen.states[-1] is CameraState.OFFLINE
    final = worker.status
    assert final.state is CameraState.OFFLINE and final.reconnects >= 1
    assert metric("stream_reconnect_total", "file-cam") >= 1
    assert metric("recording_segments_total", "file-cam") == len(seen.segments)
    assert metric("stream_active", "file-cam") == 0


def test_wrong_password_is_auth_failed_and_stop_cuts_the_long_wait(tmp_path: Path) -> None:
    seen = Recorded()
    with RtspStub("401 Unauthorized") as dvr:
        worker = make_worker("auth-cam", dvr.url("admin", "s3cret"), tmp_path, seen)
        worker.start()
        wait_for(lambda: CameraState.AUTH_FAILED in seen.states)
        # now sleeping ~60 s before the next try
        worker.stop(timeout_s=10)
        assert not worker.alive  # stopped long before the 48-60 s backoff ran out
    failed = seen.statuses[seen.states.index(CameraState.AUTH_FAILED)]
    assert "user 'admin'" in (failed.detail or "") and "wrong password" in (failed.detail or "")
    assert "s3cret" not in repr(seen.statuses)


def test_stop_interrupts_a_connection_that_hangs(tmp_path: Path) -> None:
    seen = Recorded()
    with RtspStub(silent=True) as dvr:
        worker = make_worker("hung-cam", dvr.url(), tmp_path, seen, stall_timeout_s=60)
        worker.start()
        wait_for(lambda: bool(dvr._conns))
        worker.stop(timeout_s=10)  # the open would otherwise block for 60 s
        assert not worker.alive
    assert seen.states == [CameraState.OFFLINE]


def test_callback_exceptions_never_stop_the_worker(clips: dict[str, Path], tmp_path: Path) -> None:
    segments: list[SegmentInfo] = []
    frames = 0

    def bad_frame(_: Frame) -> None:
        nonlocal frames
        frames += 1
        raise RuntimeError("bus closed")

    def bad_status(_: CameraStatus) -> None:
        raise RuntimeError("db down")

    worker = CameraWorker(
        "bad-cb",
        str(clips["gop1"]),
        store=FsObjectStore(tmp_path / "store"),
        staging_dir=tmp_path / "staging",
        clock=SystemClock(),
        on_frame=bad_frame,
        on_segment=segments.append,
        on_status=bad_status,
        backoff=Backoff(initial_s=0.05, max_s=0.1),
    )
    worker.start()
    try:
        wait_for(lambda: len(segments) >= 4)
    finally:
        worker.stop()
    assert frames >= 35
