"""The multi-process ingest pool against the real DVR simulator: two child processes each
pull, record and sample a camera and report frames, segments, statuses and metrics to this
process; a child killed with SIGKILL is restarted, its partial segment is repaired and
indexed, and recording resumes with one bounded gap while the other child is untouched.
About 40 s (4 s segments to keep it short)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest
from prometheus_client import REGISTRY

from tests.support.recording import assert_all_play, gaps_s, running_simulator, wait_until
from vigil.clock import SystemClock
from vigil.dvr.simulator import BackgroundSimulator
from vigil.edge.backoff import Backoff
from vigil.edge.pool import IngestPool, PoolCamera
from vigil.model.messages import CameraState, CameraStatus, Frame, SegmentInfo
from vigil.storage import FsObjectStore

pytestmark = pytest.mark.slow

PASSWORD = "Pool-Pass-31"
SEGMENT_S = 4.0
_CONTIGUOUS_S = 0.5


class Seen:
    """What the pool handed to this process, by camera; callbacks come from its threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.frames: list[Frame] = []
        self.segments: list[SegmentInfo] = []
        self.statuses: list[CameraStatus] = []

    def on_frame(self, frame: Frame) -> None:
        with self.lock:
            self.frames.append(frame)

    def on_segment(self, info: SegmentInfo) -> None:
        with self.lock:
            self.segments.append(info)

    def on_status(self, status: CameraStatus) -> None:
        with self.lock:
            self.statuses.append(status)

    def segs(self, camera: str) -> list[SegmentInfo]:
        with self.lock:
            return [s for s in self.segments if s.camera_id == camera]

    def frames_of(self, camera: str) -> list[Frame]:
        with self.lock:
            return [f for f in self.frames if f.camera_id == camera]

    def states(self, camera: str) -> list[CameraStatus]:
        with self.lock:
            return [s for s in self.statuses if s.camera_id == camera]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundSimulator]:
    yield from running_simulator(tmp_path_factory, PASSWORD)


def make_pool(sim: BackgroundSimulator, root: Path, seen: Seen, ids: tuple[str, str]) -> IngestPool:
    return IngestPool(
        [PoolCamera(ids[0], sim.url(1)), PoolCamera(ids[1], sim.url(2))],
        processes=2,
        store=FsObjectStore(root / "objects"),
        staging_dir=root / "staging",
        clock=SystemClock(),
        on_frame=seen.on_frame,
        on_segment=seen.on_segment,
        on_status=seen.on_status,
        worker_kwargs={"segment_s": SEGMENT_S, "backoff": Backoff(initial_s=0.5, max_s=2.0)},
        restart_backoff=lambda: Backoff(initial_s=0.5, max_s=2.0),
    )


def metric(name: str, camera: str) -> float:
    return REGISTRY.get_sample_value(name, {"camera": camera}) or 0.0


def test_two_children_deliver_frames_segments_statuses_and_metrics(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    seen, ids = Seen(), ("pool-a", "pool-b")
    pool = make_pool(sim, tmp_path, seen, ids)
    pool.start()
    try:
        wait_until(lambda: all(len(seen.segs(c)) >= 2 for c in ids), 60)
        wait_until(lambda: all(len(seen.frames_of(c)) >= 3 for c in ids), 30)
        pids = pool.pids
        assert None not in pids and len(set(pids)) == 2 and os.getpid() not in pids
        assert sorted(cam for pid in pids if pid for cam in pool.cameras_of(pid)) == sorted(ids)
        for cam in ids:
            # frames come back decoded: the full-size BGR picture, in capture order, ~1 fps
            frames = seen.frames_of(cam)
            assert frames[0].image.shape == (1080, 960, 3) and frames[0].image.dtype == np.uint8
            assert float(frames[0].image.std()) > 5  # a picture, not a blank
            stamps = [f.timestamp for f in frames]
            assert stamps == sorted(stamps)
            assert [s.state for s in seen.states(cam)] == [CameraState.ONLINE]
            wait_until(lambda c=cam: pool.cameras[c].status.fps is not None, 10)  # type: ignore[misc]
            status = pool.cameras[cam].status
            assert status.state is CameraState.ONLINE and 20 <= (status.fps or 0) <= 30
            assert (status.width, status.height) == (960, 1080)
            # the children's metrics, mirrored into this process's registry
            assert metric("stream_active", cam) == 1
            assert 20 <= metric("stream_fps", cam) <= 30
            assert metric("stream_bitrate", cam) > 500_000
            wait_until(
                lambda c=cam: metric("recording_segments_total", c) >= len(seen.segs(c)),  # type: ignore[misc]
                10,
            )
        before_stop = {cam: len(seen.segs(cam)) for cam in ids}
    finally:
        pool.stop()
    assert pool.pids == [None, None]
    assert not any(psutil.pid_exists(pid) for pid in pids if pid)
    for cam in ids:
        # stopping stores each camera's open segment and reports the camera offline
        assert len(seen.segs(cam)) == before_stop[cam] + 1
        assert seen.states(cam)[-1].state is CameraState.OFFLINE
        assert metric("stream_active", cam) == 0
        assert all(g <= _CONTIGUOUS_S for g in gaps_s(seen.segs(cam)))
    assert_all_play(tmp_path / "objects", seen.segments)


def test_a_killed_child_restarts_and_its_partial_segment_is_indexed_as_a_gap(
    sim: BackgroundSimulator, tmp_path: Path
) -> None:
    seen, ids = Seen(), ("pool-k", "pool-ok")
    killed, other = ids
    pool = make_pool(sim, tmp_path, seen, ids)
    reconnects_before = metric("stream_reconnect_total", killed)
    pool.start()
    try:
        wait_until(lambda: all(len(seen.segs(c)) >= 1 for c in ids), 60)
        victim = next(pid for pid in pool.pids if pid and pool.cameras_of(pid) == [killed])
        survivor = next(pid for pid in pool.pids if pid != victim)
        # kill it ~2.5 s into a segment: two GOPs are on disk, the third is being written
        last = seen.segs(killed)[-1]
        time.sleep(max(0.0, last.end.timestamp() + 2.5 - time.time()))
        stored_before = seen.segs(killed)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: seen.states(killed)[-1].state is CameraState.RECONNECTING, 20)
        lost = seen.states(killed)[-1]
        assert lost.detail is not None and "SIGKILL" in lost.detail and "restarting" in lost.detail
        assert pool.cameras[killed].status.state is CameraState.RECONNECTING
        wait_until(lambda: seen.states(killed)[-1].state is CameraState.ONLINE, 60)
        restarted_at = seen.states(killed)[-1].changed_at
        wait_until(lambda: any(s.start > restarted_at for s in seen.segs(killed)), 60)
        assert victim not in pool.pids and survivor in pool.pids
        wait_until(lambda: seen.frames_of(killed)[-1].timestamp > restarted_at, 20)
    finally:
        pool.stop()

    segs = seen.segs(killed)
    new = segs[len(stored_before) :]
    recovered, resumed = new[0], new[1]
    # the segment the dead child was writing: repaired, stored and indexed with its true,
    # shorter duration, contiguous with what came before; the lost tail is one bounded gap
    assert abs((recovered.start - stored_before[-1].end).total_seconds()) <= _CONTIGUOUS_S
    assert 1.0 <= recovered.duration_s <= 3.0
    assert not list((tmp_path / "staging" / killed).glob("*.mp4"))
    gap = (resumed.start - recovered.end).total_seconds()
    assert 0 < gap < 30
    assert [g for g in gaps_s(segs) if g > _CONTIGUOUS_S] == [pytest.approx(gap)]
    # the restart shows as a reconnect; the other camera's child never noticed
    assert pool.cameras[killed].status.reconnects >= 1
    assert metric("stream_reconnect_total", killed) >= reconnects_before + 1
    assert all(g <= _CONTIGUOUS_S for g in gaps_s(seen.segs(other)))
    assert [s.state for s in seen.states(other)] == [CameraState.ONLINE, CameraState.OFFLINE]
    assert_all_play(tmp_path / "objects", seen.segments)
