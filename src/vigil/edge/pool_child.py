"""The child side of the ingest pool (pool.py): one process running a `CameraWorker` per
camera of its share, reporting to the parent over one pipe.

Messages, child -> parent, each a pickled tuple `(kind, payload)`:

* `("frame", bytes)`: an analysis frame as JPEG plus a small header (`Frame.to_bytes`);
* `("segment", SegmentInfo)`, `("status", CameraStatus)`;
* `("sample", {camera: CameraSample})`: every `metrics_period_s`, the cameras' current
  status (frame rate) and their metric values as this process counts them;
* `("log", dict)`: a log record at the parent's level, re-emitted by the parent, with its
  traceback as text (`exc_text`) and as data (`exc_dicts`) when it has one; an exception
  that ends the child or one of its threads is logged so, never printed raw to stderr.

Frames wait in a bounded queue: when the parent does not keep up it is full and further
frames are dropped and counted (never encoded). Everything else is never dropped.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY

from vigil.clock import Clock
from vigil.edge.camera import CameraWorker
from vigil.model.messages import CameraStatus, Frame
from vigil.ops.logging import exception_dicts, log_thread_exceptions
from vigil.storage.base import ObjectStore

_PR_SET_PDEATHSIG = 1
# The metric samples a child reports per camera (names as Prometheus exposes them).
GAUGES = ("stream_active", "stream_fps", "stream_bitrate", "stream_latency_seconds")
COUNTERS = (
    "stream_reconnect_total",
    "recording_segments_total",
    "recording_errors_total",
    "recording_timestamps_fixed_total",
    "stream_packets_corrupt_total",
)


@dataclass(frozen=True, slots=True)
class PoolCamera:
    """One camera for the pool; `url` may hold a password and is only ever logged masked."""

    camera_id: str
    url: str


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """Everything a child needs; pickled to it at spawn (so `store`, `clock` and every
    value of `worker_kwargs` must pickle). Passwords travel in the spawn pipe, not argv."""

    index: int
    parent_pid: int
    cameras: tuple[PoolCamera, ...]
    store: ObjectStore
    staging_dir: Path  # each camera stages under staging_dir / camera_id
    clock: Clock
    worker_kwargs: dict[str, Any]
    max_frames_queued: int
    metrics_period_s: float
    log_level: int


@dataclass(frozen=True, slots=True)
class CameraSample:
    status: CameraStatus
    metrics: dict[str, float]
    frames_dropped: int  # by this child's channel, since it started


class Channel:
    """The child's end of the pipe, written by one sender thread.

    Control messages (segments, statuses, samples, logs) queue without bound and go first;
    frames queue up to `max_frames` and are dropped (counted per camera) beyond that.
    """

    def __init__(self, conn: Connection, max_frames: int) -> None:
        self._conn = conn
        self._max_frames = max(1, max_frames)
        self._cond = threading.Condition()
        self._control: deque[tuple[str, Any]] = deque()
        self._frames: deque[bytes] = deque()
        self._closed = False
        self.dropped: dict[str, int] = {}
        self.broken = threading.Event()  # the parent is gone
        self._thread = threading.Thread(target=self._send_loop, name="pool-channel", daemon=True)
        self._thread.start()

    def frame(self, frame: Frame) -> None:
        if not self._room(frame.camera_id):
            return
        data = frame.to_bytes()  # in the camera's thread: JPEG encoding runs in parallel
        with self._cond:
            if len(self._frames) >= self._max_frames:
                self._drop(frame.camera_id)
                return
            self._frames.append(data)
            self._cond.notify()

    def control(self, kind: str, payload: Any) -> None:
        with self._cond:
            self._control.append((kind, payload))
            self._cond.notify()

    def close(self, timeout_s: float = 10.0) -> None:
        """Send what is queued, then close the pipe."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout_s)
        self._conn.close()

    def _room(self, camera_id: str) -> bool:
        with self._cond:
            if len(self._frames) < self._max_frames:
                return True
            self._drop(camera_id)
            return False

    def _drop(self, camera_id: str) -> None:
        self.dropped[camera_id] = self.dropped.get(camera_id, 0) + 1

    def _send_loop(self) -> None:
        while True:
            with self._cond:
                while not self._control and not self._frames and not self._closed:
                    self._cond.wait()
                if self._control:
                    message: tuple[str, Any] = self._control.popleft()
                elif self._frames:
                    message = ("frame", self._frames.popleft())
                else:
                    return
            try:
                self._conn.send(message)
            except (OSError, ValueError):
                self.broken.set()  # the parent died or closed its end: nothing to report to
                return


class _ChannelLogHandler(logging.Handler):
    """Sends each record to the parent, which logs it as its own."""

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            exc, dicts = record.exc_text, None
            if record.exc_info and record.exc_info[1] is not None:
                exc = logging.Formatter().formatException(record.exc_info)
                dicts = exception_dicts(record.exc_info)  # the JSON format's frames
            body = {
                "name": record.name,
                "levelno": record.levelno,
                "levelname": record.levelname,
                "msg": record.getMessage(),
                "exc_text": exc,
                "exc_dicts": dicts,
                "created": record.created,
                "threadName": record.threadName,
                "processName": record.processName,
            }
            self._channel.control("log", body)
        except Exception:
            self.handleError(record)


def child_main(spec: ChildSpec, conn: Connection) -> None:
    """Entry point of an ingest child (multiprocessing spawn target)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent; it stops us
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    channel = Channel(conn, spec.max_frames_queued)
    root = logging.getLogger()
    root.handlers[:] = [_ChannelLogHandler(channel)]
    root.setLevel(spec.log_level)
    log_thread_exceptions()  # through the channel, with the traceback
    if os.getppid() != spec.parent_pid:  # the parent died before we could ask to follow it
        return
    try:
        _ingest(spec, channel, stop)
    except Exception:
        # Logged through the channel (traceback included, masked by the parent), not printed
        # raw on the stderr we share with the parent; the parent restarts us.
        logging.getLogger(__name__).exception("ingest process %d failed", spec.index)
        channel.close()
        raise SystemExit(1) from None
    channel.close()


def _ingest(spec: ChildSpec, channel: Channel, stop: threading.Event) -> None:
    workers = [
        CameraWorker(
            cam.camera_id,
            cam.url,
            store=spec.store,
            staging_dir=spec.staging_dir / cam.camera_id,
            clock=spec.clock,
            on_frame=channel.frame,
            on_segment=lambda info: channel.control("segment", info),
            on_status=lambda status: channel.control("status", status),
            **spec.worker_kwargs,
        )
        for cam in spec.cameras
    ]
    for worker in workers:
        worker.start()
    while not stop.wait(spec.metrics_period_s) and not channel.broken.is_set():
        channel.control("sample", sample(workers, channel))
    # Stop all at once: each closes and stores its open segment (reported before we exit).
    stoppers = [threading.Thread(target=w.stop) for w in workers]
    for t in stoppers:
        t.start()
    for t in stoppers:
        t.join()
    channel.control("sample", sample(workers, channel))


def sample(workers: list[CameraWorker], channel: Channel) -> dict[str, CameraSample]:
    """Each worker's status and metric values, read from this process's registry."""
    ours = {w.camera_id for w in workers}
    names = set(GAUGES) | set(COUNTERS)
    values: dict[str, dict[str, float]] = {cam: {} for cam in ours}
    for family in REGISTRY.collect():
        for s in family.samples:
            cam = s.labels.get("camera")
            if s.name in names and cam in ours:
                values[cam][s.name] = s.value
    return {
        w.camera_id: CameraSample(
            status=w.status,
            metrics=values[w.camera_id],
            frames_dropped=channel.dropped.get(w.camera_id, 0),
        )
        for w in workers
    }


def _die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent thread that spawned us exits, so an ingest
    child never outlives Vigil, even one killed with SIGKILL (Linux only; elsewhere the
    broken pipe stops the child at its next message)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
