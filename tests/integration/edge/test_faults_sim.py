"""Each stream fault injected against the real DVR simulator, through `FaultProxy` (network
cut, corrupt and truncated packets, timestamp leaps and wrap) or by killing an ingest
process mid-segment. Each checks: recording resumed, the gap is bounded and shows in the
stored segments (what the index holds), and nothing else was lost. About 2 minutes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import av
import pytest

from tests.integration.edge.fault_proxy import FaultProxy
from tests.support.recording import assert_all_play, gaps_s, running_simulator, wait_until
from vigil.clock import SystemClock
from vigil.dvr.simulator import BackgroundSimulator
from vigil.edge.backoff import Backoff
from vigil.edge.camera import CameraWorker
from vigil.model.messages import CameraState, CameraStatus, Frame, SegmentInfo
from vigil.storage import FsObjectStore
from vigil.storage.recordings import BUCKET

pytestmark = pytest.mark.slow

PASSWORD = "Fault-Pass-9"
_CONTIGUOUS_S = 0.5  # consecutive segments closer than this: nothing lost between them


class Seen:
    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.segments: list[SegmentInfo] = []
        self.statuses: list[CameraStatus] = []

    def onlines(self) -> int:
        return sum(1 for s in self.statuses if s.state is CameraState.ONLINE)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundSimulator]:
    yield from running_simulator(tmp_path_factory, PASSWORD)


def worker(url: str, root: Path, seen: Seen) -> CameraWorker:
    return CameraWorker(
        "cam-f",
        url,
        store=FsObjectStore(root / "store"),
        staging_dir=root / "staging",
        clock=SystemClock(),
        on_frame=seen.frames.append,
        on_segment=seen.segments.append,
        on_status=seen.statuses.append,
        stall_timeout_s=3.0,
        backoff=Backoff(initial_s=0.5, max_s=2.0),
    )


def assert_all_play_bounded(root: Path, segments: list[SegmentInfo]) -> None:
    """Every stored segment plays (see `assert_all_play`) and is at most 11.5 s long."""
    assert_all_play(root / "store", segments)
    assert all(0 < seg.duration_s <= 11.5 for seg in segments), segments


def test_network_cut_reconnects_and_leaves_one_bounded_gap(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    proxy, seen = FaultProxy(sim.port), Seen()
    cam = worker(proxy.url(sim.url(1)), tmp_path, seen)
    cam.start()
    try:
        wait_until(lambda: len(seen.segments) >= 1, 60)
        proxy.cut(down_s=3.0)
        cut_at = SystemClock().now()
        wait_until(lambda: seen.onlines() >= 2, 60)
        wait_until(lambda: any(s.start > cut_at for s in seen.segments), 60)
    finally:
        cam.stop()
        proxy.close()
    assert cam.status.reconnects >= 1
    big = [g for g in gaps_s(seen.segments) if g > _CONTIGUOUS_S]
    assert len(big) == 1 and big[0] < 3.0 + 2.0 + 10.0  # down time + backoff + reconnect
    assert_all_play_bounded(tmp_path, seen.segments)


def test_corrupt_and_truncated_packets_lose_no_recording(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    proxy, seen = FaultProxy(sim.port), Seen()
    cam = worker(proxy.url(sim.url(2)), tmp_path, seen)
    cam.start()
    try:
        wait_until(lambda: len(seen.segments) >= 1, 60)
        proxy.corrupt(40)
        proxy.truncate(40)
        wait_until(lambda: proxy.damaged >= 80, 30)
        damaged_at = SystemClock().now()
        wait_until(lambda: any(s.start > damaged_at for s in seen.segments), 60)
        wait_until(lambda: bool(seen.frames) and seen.frames[-1].timestamp > damaged_at, 30)
    finally:
        cam.stop()
        proxy.close()
    assert all(g <= _CONTIGUOUS_S for g in gaps_s(seen.segments))
    assert cam.status.reconnects == 0
    assert_all_play_bounded(tmp_path, seen.segments)


@pytest.mark.parametrize("leaps_s", [(3600.0, -7200.0)], ids=["ahead-then-back"])
def test_timestamp_leaps_keep_segments_true_to_the_clock(
    leaps_s: tuple[float, float], sim: BackgroundSimulator, tmp_path: Path
) -> None:
    proxy, seen = FaultProxy(sim.port), Seen()
    cam = worker(proxy.url(sim.url(1)), tmp_path, seen)
    cam.start()
    try:
        for leap_s in leaps_s:
            wait_until(lambda: len(seen.segments) >= 1, 60)
            before = len(seen.segments)
            proxy.leap(round(leap_s * 90_000))
            wait_until(lambda n=before: len(seen.segments) >= n + 2, 60)  # type: ignore[misc]
    finally:
        cam.stop()
        proxy.close()
    assert_wall_true(seen)
    assert_all_play_bounded(tmp_path, seen.segments)


def test_rtp_timestamp_wrap_is_seamless(sim: BackgroundSimulator, tmp_path: Path) -> None:
    proxy, seen = FaultProxy(sim.port, wrap_after_s=4.0), Seen()
    cam = worker(proxy.url(sim.url(2)), tmp_path, seen)
    cam.start()
    try:
        wait_until(lambda: len(seen.segments) >= 2, 60)
    finally:
        cam.stop()
        proxy.close()
    assert cam.status.reconnects == 0
    assert_wall_true(seen)
    assert_all_play_bounded(tmp_path, seen.segments)


def assert_wall_true(seen: Seen) -> None:
    """Segments are contiguous, each ~10 s, and stamped near the real time they were made."""
    assert all(g <= _CONTIGUOUS_S for g in gaps_s(seen.segments))
    now = SystemClock().now()
    for seg in seen.segments:  # a connection's first GOP may come in a burst: ~1 s ahead
        assert now - timedelta(minutes=5) < seg.start < now + timedelta(seconds=3)
    assert all(s.duration_s <= 11.5 for s in seen.segments)


def test_a_process_killed_mid_segment_leaves_a_playable_indexed_segment(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    out = tmp_path / "edge"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ingest_worker", str(out)],
        stdin=subprocess.PIPE,
        stderr=(tmp_path / "worker.log").open("wb"),
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps({"cam-f": sim.url(1)}).encode())
    proc.stdin.close()
    staging = out / "staging"
    try:
        # the first segment was stored and the second is ~5 s in: kill it there
        wait_until(lambda: any(out.glob("segments-*.jsonl")) and _lines(out) >= 1, 60)
        time.sleep(5)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    first = json.loads(next(out.glob("segments-*.jsonl")).read_text().splitlines()[-1])
    [leftover] = list(staging.iterdir())

    seen = Seen()
    cam = CameraWorker(
        "cam-f",
        sim.url(1),
        store=FsObjectStore(out / "objects"),
        staging_dir=staging,
        clock=SystemClock(),
        on_frame=seen.frames.append,
        on_segment=seen.segments.append,
        on_status=seen.statuses.append,
    )
    cam.start()
    try:
        wait_until(lambda: len(seen.segments) >= 2, 60)
    finally:
        cam.stop()
    recovered, resumed = seen.segments[0], seen.segments[1]
    assert recovered.key.endswith(leftover.name) and not leftover.exists()
    # contiguous with the last stored segment; up to one GOP lost at the kill
    assert abs(recovered.start.timestamp() - first["end"]) <= _CONTIGUOUS_S
    assert 3.0 <= recovered.duration_s <= 6.5
    # the gap from the kill to the restart is what the index shows: bounded, not hidden
    assert 0 < (resumed.start - recovered.end).total_seconds() < 60
    store = FsObjectStore(out / "objects")
    path = store.local_path(BUCKET, recovered.key)
    assert path is not None
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == round(recovered.duration_s * 25)


def _lines(out: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in out.glob("segments-*.jsonl"))
