"""The ingest pool's parts that need no camera: how many processes, the child's bounded
channel (frames dropped and counted, everything else delivered), the per-camera status
view across child restarts, and the metrics mirrored from children's running totals."""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from prometheus_client import REGISTRY

from vigil.clock import FakeClock, SystemClock
from vigil.edge.backoff import Backoff
from vigil.edge.pool import IngestPool, PoolCamera, PooledCamera, ingest_processes
from vigil.edge.pool_child import CameraSample, Channel
from vigil.model.messages import CameraState, CameraStatus, Frame
from vigil.ops.logging import configure_logging
from vigil.storage import FsObjectStore


@pytest.mark.parametrize(
    ("setting", "cameras", "cpus", "expected"),
    [
        (0, 40, 8, 0),  # explicitly in the main process
        (3, 40, 8, 3),
        (4, 2, 8, 2),  # never more processes than cameras
        ("auto", 8, 2, 0),  # the reference site: in process
        ("auto", 16, 2, 0),
        ("auto", 17, 2, 2),
        ("auto", 40, 8, 3),
        ("auto", 200, 4, 4),  # at most one per CPU
    ],
)
def test_ingest_processes(setting: Any, cameras: int, cpus: int, expected: int) -> None:
    assert ingest_processes(setting, cameras, cpus) == expected


def frame(camera: str, seq: int, clock: FakeClock) -> Frame:
    rng = np.random.default_rng(seq)  # noise: a JPEG far larger than the pipe's buffer
    image = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    return Frame(camera, clock.now(), seq, image)


def test_a_full_channel_drops_and_counts_frames_but_never_other_messages(
    fake_clock: FakeClock,
) -> None:
    reader, writer = multiprocessing.Pipe(duplex=False)
    channel = Channel(writer, max_frames=2)
    for seq in range(6):  # nobody reads: the first blocks the pipe, two wait, three drop
        channel.frame(frame("cam", seq, fake_clock))
    status = CameraStatus("cam", CameraState.ONLINE, None, fake_clock.now())
    for _ in range(3):
        channel.control("status", status)
    dropped = channel.dropped["cam"]
    assert 3 <= dropped <= 4
    got = [reader.recv() for _ in range(3 + 6 - dropped)]  # now the parent reads
    channel.close()
    with pytest.raises(EOFError):  # nothing more: the channel closed its end
        reader.recv()
    kinds = [kind for kind, _ in got]
    assert kinds.count("status") == 3  # never dropped, and ahead of the waiting frames
    assert kinds[1:4] == ["status"] * 3
    assert kinds.count("frame") == 6 - dropped
    # frames cross as JPEG + header and decode back to the picture's shape
    first = Frame.from_bytes(next(p for k, p in got if k == "frame"))
    assert first.camera_id == "cam" and first.image.shape == (480, 640, 3)


def test_status_view_counts_a_restart_as_a_reconnect(fake_clock: FakeClock) -> None:
    view = PooledCamera("cam", "rtsp://x/password=***", fake_clock)
    assert view.status.state is CameraState.CONNECTING
    online = CameraStatus("cam", CameraState.ONLINE, None, fake_clock.now(), reconnects=2)
    view._changed(online)
    assert view.status.reconnects == 2
    # a periodic reading taken before a state change must not undo it
    stale = CameraStatus("cam", CameraState.CONNECTING, None, fake_clock.now() - timedelta(1))
    view._sampled(stale)
    assert view.status.state is CameraState.ONLINE
    view._sampled(replace(online, fps=25.0))
    assert view.status.fps == 25.0
    view._lost(CameraState.RECONNECTING, "ingest process died", fake_clock.now(), True)
    assert view.status.state is CameraState.RECONNECTING and view.status.reconnects == 3
    # the new child counts its own reconnects from zero; the view adds the earlier ones
    view._changed(CameraStatus("cam", CameraState.ONLINE, None, fake_clock.now(), reconnects=1))
    assert view.status.reconnects == 4


def test_metrics_from_a_child_are_mirrored_as_deltas(fake_clock: FakeClock, tmp_path: Path) -> None:
    cam = "pool-unit-metrics"
    pool = IngestPool(  # never started: samples are fed by hand
        [PoolCamera(cam, "rtsp://127.0.0.1:1/x")],
        processes=1,
        store=FsObjectStore(tmp_path),
        staging_dir=tmp_path / "staging",
        clock=SystemClock(),
        on_frame=lambda f: None,
        on_segment=lambda s: None,
        on_status=lambda s: None,
    )

    def value(name: str) -> float:
        return REGISTRY.get_sample_value(name, {"camera": cam}) or 0.0

    def sample(segments: float, dropped: int, fps: float) -> CameraSample:
        status = CameraStatus(cam, CameraState.ONLINE, None, fake_clock.now())
        metrics = {"recording_segments_total": segments, "stream_fps": fps, "stream_active": 1}
        return CameraSample(status, metrics, dropped)

    segs0, drop0 = value("recording_segments_total"), value("frames_dropped_total")
    pool._counting_from_zero(pool._children[0].cameras)
    pool._apply_sample(cam, sample(3, 1, 25.0))
    pool._apply_sample(cam, sample(5, 4, 24.0))
    assert value("recording_segments_total") == segs0 + 5
    assert value("frames_dropped_total") == drop0 + 4
    assert value("stream_fps") == 24.0 and value("stream_active") == 1
    pool._counting_from_zero(pool._children[0].cameras)  # a restarted child: from zero
    pool._apply_sample(cam, sample(2, 0, 25.0))
    assert value("recording_segments_total") == segs0 + 7


def test_arguments_a_child_cannot_receive_are_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="do not pickle"):
        IngestPool(
            [PoolCamera("cam", "rtsp://127.0.0.1:1/x")],
            processes=1,
            store=FsObjectStore(tmp_path),
            staging_dir=tmp_path / "staging",
            clock=SystemClock(),
            on_frame=lambda f: None,
            on_segment=lambda s: None,
            on_status=lambda s: None,
            worker_kwargs={"backoff": threading.Lock()},
        )


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_an_exception_in_a_child_reaches_our_log_with_its_traceback(
    tmp_path: Path, log_format: Literal["json", "console"]
) -> None:
    """The child fails building its workers (an option CameraWorker lacks): its traceback
    arrives through the pipe and is logged here, in our format, not lost or printed raw."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, threading.excepthook
    out = io.StringIO()
    configure_logging("INFO", log_format, stream=out)
    pool = IngestPool(
        [PoolCamera("cam", "rtsp://admin:pool-secret-9@127.0.0.1:1/x")],
        processes=1,
        store=FsObjectStore(tmp_path),
        staging_dir=tmp_path / "staging",
        clock=SystemClock(),
        on_frame=lambda f: None,
        on_segment=lambda s: None,
        on_status=lambda s: None,
        worker_kwargs={"no_such_option": 1},
        restart_backoff=lambda: Backoff(initial_s=60.0, max_s=60.0),
    )
    try:
        pool.start()
        deadline = time.monotonic() + 60
        while "restarting in" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        pool.stop()
        root.handlers[:], threading.excepthook = saved[0], saved[2]
        root.setLevel(saved[1])
    text = out.getvalue()
    assert "pool-secret-9" not in text
    if log_format == "json":
        records = [json.loads(line) for line in text.splitlines()]
        failed = next(r for r in records if r["event"] == "ingest process 0 failed")
        (exc,) = failed["exception"]
        assert exc["exc_type"] == "TypeError" and "no_such_option" in exc["exc_value"]
        assert "_ingest" in [f["name"] for f in exc["frames"]]
    else:
        assert "ingest process 0 failed" in text
        assert "Traceback (most recent call last)" in text and "in _ingest" in text
        assert "TypeError" in text and "no_such_option" in text
