"""Ingest cameras in child processes, so that how many cameras one box can ingest is not
bounded by one Python process (its interpreter lock).

`IngestPool` deals the cameras round-robin over N children (multiprocessing *spawn*; each
asks the kernel to SIGTERM it when Vigil dies). A child runs one `CameraWorker` per camera
(pool_child.py) and reports over a pipe: frames as JPEG + header, decoded back to arrays
here before `on_frame` (the in-process bus carries arrays); segments and statuses, never
dropped; its log records; and each second its cameras' metric values, mirrored into this
process's Prometheus registry (`stream_active`, `stream_fps`, `stream_reconnect_total`, …)
so `/metrics` reads as with in-process workers. Frames the pipe could not take are dropped
in the child and counted here in `frames_dropped_total`.

A child that dies is started again with backoff (1, 2, 4 … 60 s; reset after a minute up);
meanwhile its cameras report `reconnecting` with the reason, and the new child's workers
repair what the dead one left in staging (salvage.py) before recording again, so the lost
tail shows as an indexed gap. `stop()` terminates the children, whose workers close and
store their open segment first. `cameras` is a per-camera status view shaped like
`CameraWorker` (`camera_id`, `status`), for health checks and the heartbeat.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import multiprocessing.process
import pickle
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, Protocol

from vigil.clock import Clock
from vigil.dvr.cpplus import mask_url
from vigil.edge.backoff import Backoff
from vigil.edge.metrics import CameraMetrics, camera_metrics
from vigil.edge.pool_child import COUNTERS, CameraSample, ChildSpec, PoolCamera, child_main
from vigil.model.messages import CameraState, CameraStatus, Frame, SegmentInfo
from vigil.ops import metrics as ops_metrics
from vigil.storage.base import ObjectStore

logger = logging.getLogger(__name__)

# Cameras one ingest process takes in "auto" mode. One process sustained 32 simulated CP
# PLUS streams on the 2-core reference box (README, Benchmarks); the main process also runs
# detection and the API, so it keeps half that before ingest moves to children.
CAMERAS_PER_PROCESS = 16
_HEALTHY_S = 60.0  # a child up this long resets the restart backoff
_METRICS_PERIOD_S = 1.0

__all__ = ["CAMERAS_PER_PROCESS", "CameraHandle", "IngestPool", "PoolCamera", "ingest_processes"]


class CameraHandle(Protocol):
    """What the rest of Vigil reads of a running camera (a `CameraWorker` or a pooled one)."""

    @property
    def camera_id(self) -> str: ...
    @property
    def status(self) -> CameraStatus: ...


def ingest_processes(setting: int | Literal["auto"], cameras: int, cpus: int) -> int:
    """Child processes for `cameras` cameras: 0 means in the main process.

    A number is taken as given (never more than one per camera); "auto" keeps up to
    `CAMERAS_PER_PROCESS` cameras in process and beyond that uses
    ceil(cameras / CAMERAS_PER_PROCESS) children, at most one per CPU.
    """
    if setting == "auto":
        if cameras <= CAMERAS_PER_PROCESS:
            return 0
        return max(1, min(math.ceil(cameras / CAMERAS_PER_PROCESS), cpus))
    return min(setting, cameras)


class PooledCamera:
    """The parent's view of one camera ingested in a child: its latest status."""

    def __init__(self, camera_id: str, masked_url: str, clock: Clock) -> None:
        self.camera_id = camera_id
        self.masked_url = masked_url
        self._lock = threading.Lock()
        self._latest = CameraStatus(camera_id, CameraState.CONNECTING, None, clock.now())
        self._base_reconnects = 0  # of earlier children, plus one per restart

    @property
    def status(self) -> CameraStatus:
        with self._lock:
            return replace(self._latest, reconnects=self._base_reconnects + self._latest.reconnects)

    def _changed(self, status: CameraStatus) -> None:
        with self._lock:
            self._latest = status

    def _sampled(self, status: CameraStatus) -> None:
        """A periodic reading (frame rate): taken unless a state change overtook it."""
        with self._lock:
            if (status.state, status.changed_at) == (self._latest.state, self._latest.changed_at):
                self._latest = status

    def _lost(self, state: CameraState, detail: str, at: Any, restarting: bool) -> None:
        with self._lock:
            if restarting:
                self._base_reconnects += self._latest.reconnects + 1
                reconnects = 0
            else:
                reconnects = self._latest.reconnects
            self._latest = CameraStatus(
                self.camera_id,
                state,
                detail,
                at,
                width=self._latest.width,
                height=self._latest.height,
                reconnects=reconnects,
            )


@dataclass(slots=True)
class _Child:
    """One slot of the pool: its cameras and the process currently serving them."""

    index: int
    cameras: tuple[PoolCamera, ...]
    backoff: Backoff
    process: multiprocessing.process.BaseProcess | None = None
    thread: threading.Thread | None = None
    starts: int = 0


class IngestPool:
    """Ingest `cameras` in `processes` child processes (see the module docstring).

    Callbacks run in the pool's reader threads (one per child) and must not block for long.
    `store`, `clock` and `worker_kwargs` (extra `CameraWorker` keyword arguments, e.g.
    `segment_s`) are pickled to each child, which works on its own copy (so the system
    clock, not a test's fake one). Each camera stages under
    `staging_dir / camera_id`, as with in-process workers.
    """

    def __init__(
        self,
        cameras: Sequence[PoolCamera],
        *,
        processes: int,
        store: ObjectStore,
        staging_dir: Path,
        clock: Clock,
        on_frame: Callable[[Frame], None],
        on_segment: Callable[[SegmentInfo], None],
        on_status: Callable[[CameraStatus], None],
        worker_kwargs: Mapping[str, Any] | None = None,
        max_frames_queued: int | None = None,
        restart_backoff: Callable[[], Backoff] | None = None,
    ) -> None:
        if processes < 1:
            raise ValueError(f"an ingest pool needs at least one process, got {processes}")
        try:  # fail here, loudly, rather than in every child start
            pickle.dumps((store, clock, dict(worker_kwargs or {})))
        except Exception as err:
            raise ValueError(
                f"the ingest pool sends store, clock and worker_kwargs to its child "
                f"processes, but they do not pickle: {err}"
            ) from err
        n = min(processes, len(cameras))
        self._clock = clock
        self._store = store
        self._staging_dir = staging_dir
        self._on_frame = on_frame
        self._on_segment = on_segment
        self._on_status = on_status
        self._worker_kwargs = dict(worker_kwargs or {})
        self._max_frames = max_frames_queued
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._ctx = multiprocessing.get_context("spawn")
        make_backoff = restart_backoff or Backoff
        self._children = [
            _Child(i, tuple(cameras[i::n]), make_backoff()) for i in range(n) if cameras[i::n]
        ]
        self.cameras: dict[str, PooledCamera] = {
            c.camera_id: PooledCamera(c.camera_id, mask_url(c.url), clock) for c in cameras
        }
        self._metrics: dict[str, CameraMetrics] = {c: camera_metrics(c) for c in self.cameras}
        self._counted: dict[tuple[str, str], float] = {}  # counter values of current children

    @property
    def pids(self) -> list[int | None]:
        """The pid of each child process now running (None while one is being restarted)."""
        with self._lock:
            return [
                c.process.pid if c.process is not None and c.process.is_alive() else None
                for c in self._children
            ]

    def cameras_of(self, pid: int) -> list[str]:
        """The cameras the child with `pid` ingests ([] if no child has that pid)."""
        with self._lock:
            for c in self._children:
                if c.process is not None and c.process.pid == pid:
                    return [cam.camera_id for cam in c.cameras]
        return []

    def start(self) -> None:
        """Start one supervising thread per child; each spawns its child (and restarts it)."""
        for child in self._children:
            child.thread = threading.Thread(
                target=self._supervise, args=(child,), name=f"ingest-pool-{child.index}",
                daemon=True,
            )  # fmt: skip
            child.thread.start()

    def stop(self, timeout_s: float = 20.0) -> None:
        """Terminate the children (each stores its open segments first) and wait for them;
        one still running after `timeout_s` is killed."""
        self._stopping.set()
        with self._lock:
            procs = [c.process for c in self._children if c.process is not None]
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        deadline = time.monotonic() + timeout_s
        for child in self._children:
            if child.thread is not None:
                child.thread.join(max(0.1, deadline - time.monotonic()))
        for proc in procs:
            if proc.is_alive():
                logger.warning("ingest process %s did not stop in time; killing it", proc.pid)
                proc.kill()
                proc.join(5)
        for child in self._children:
            if child.thread is not None:
                child.thread.join(5)
        now = self._clock.now()
        for view in self.cameras.values():
            if view.status.state is not CameraState.OFFLINE:
                view._lost(CameraState.OFFLINE, "stopped", now, restarting=False)
                self._publish_status(view)

    # -- supervising thread, one per child --------------------------------------------------

    def _supervise(self, child: _Child) -> None:
        while not self._stopping.is_set():
            started_s = time.monotonic()
            try:
                proc = self._spawn(child)
            except Exception as err:  # could not start it (out of memory, pids…): retry
                logger.exception("ingest process %d could not start", child.index)
                proc, why = None, f"could not start ({type(err).__name__}: {err})"
            else:
                if proc is None:
                    return  # stopping
                why = f"exited with code {proc.exitcode}"
                if proc.exitcode is not None and proc.exitcode < 0:
                    why = f"was killed by {signal.Signals(-proc.exitcode).name}"
            if self._stopping.is_set():
                return
            if time.monotonic() - started_s >= _HEALTHY_S:
                child.backoff.reset()
            delay_s = child.backoff.next_delay()
            names = ", ".join(c.camera_id for c in child.cameras)
            logger.error(
                "ingest process %d (pid %s; cameras %s) %s; restarting in %.1f s",
                child.index, proc.pid if proc else None, names, why, delay_s,
            )  # fmt: skip
            self._child_lost(child, f"ingest process {why}; restarting in {delay_s:.0f} s")
            if self._stopping.wait(delay_s):
                return

    def _spawn(self, child: _Child) -> multiprocessing.process.BaseProcess | None:
        """Start the child and pump its messages until it exits; None if stopping."""
        reader, writer = self._ctx.Pipe(duplex=False)
        spec = ChildSpec(
            index=child.index,
            parent_pid=multiprocessing.current_process().pid or 0,
            cameras=child.cameras,
            store=self._store,
            staging_dir=self._staging_dir,
            clock=self._clock,
            worker_kwargs=self._worker_kwargs,
            max_frames_queued=self._max_frames or max(2, 2 * len(child.cameras)),
            metrics_period_s=_METRICS_PERIOD_S,
            log_level=logging.getLogger("vigil").getEffectiveLevel(),
        )
        proc = self._ctx.Process(
            target=child_main, args=(spec, writer), name=f"vigil-ingest-{child.index}",
            daemon=True,
        )  # fmt: skip
        with self._lock:
            if self._stopping.is_set():
                reader.close()
                writer.close()
                return None
            proc.start()  # from this thread, which lives as long as the child (PDEATHSIG)
            child.process = proc
            child.starts += 1
        writer.close()  # ours; the pipe reports EOF once the child's end closes
        self._counting_from_zero(child.cameras)
        logger.info(
            "ingest process %d (pid %s): cameras %s",
            child.index, proc.pid, ", ".join(c.camera_id for c in child.cameras),
        )  # fmt: skip
        self._pump(reader)
        proc.join()
        return proc

    def _pump(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    return
                except Exception:  # a message that does not unpickle: skip it, keep reading
                    logger.exception("ingest pool: unreadable message from a child")
                    continue
                try:
                    self._dispatch(kind, payload)
                except Exception:
                    logger.exception("ingest pool: handling a %s message failed", kind)

    def _dispatch(self, kind: str, payload: Any) -> None:
        if kind == "frame":
            self._on_frame(Frame.from_bytes(payload))
        elif kind == "segment":
            self._on_segment(payload)
        elif kind == "status":
            view = self.cameras[payload.camera_id]
            view._changed(payload)
            self._publish_status(view)
        elif kind == "sample":
            for camera_id, sample in payload.items():
                self._apply_sample(camera_id, sample)
        elif kind == "log":
            target = logging.getLogger(payload["name"])
            if target.isEnabledFor(payload["levelno"]):
                target.handle(logging.makeLogRecord({**payload, "args": None}))

    def _apply_sample(self, camera_id: str, sample: CameraSample) -> None:
        self.cameras[camera_id]._sampled(sample.status)
        m, values = self._metrics[camera_id], sample.metrics
        m.stream_active.set(values.get("stream_active", 0))
        m.stream_fps.set(values.get("stream_fps", 0))
        m.stream_bitrate_bps.set(values.get("stream_bitrate", 0))
        m.stream_latency_seconds.set(values.get("stream_latency_seconds", 0))
        counters = {
            "stream_reconnect_total": m.stream_reconnect,
            "recording_segments_total": m.recording_segments,
            "recording_errors_total": m.recording_errors,
            "recording_timestamps_fixed_total": m.recording_timestamps_fixed,
            "stream_packets_corrupt_total": m.stream_packets_corrupt,
        }
        for name, counter in counters.items():
            self._add(camera_id, name, values.get(name, 0.0), counter.inc)
        self._add(
            camera_id,
            "frames_dropped",
            float(sample.frames_dropped),
            ops_metrics.frames_dropped_total.labels(camera=camera_id).inc,
        )

    def _add(self, camera_id: str, name: str, value: float, inc: Callable[[float], None]) -> None:
        """Counters arrive as the child's running totals: add what is new since the last."""
        key = (camera_id, name)
        delta = value - self._counted.get(key, 0.0)
        if delta > 0:
            inc(delta)
            self._counted[key] = value

    def _counting_from_zero(self, cameras: Sequence[PoolCamera]) -> None:
        """A new child's counters start at zero: later samples add all they count."""
        for cam in cameras:
            for name in (*COUNTERS, "frames_dropped"):
                self._counted[(cam.camera_id, name)] = 0.0

    def _child_lost(self, child: _Child, detail: str) -> None:
        now = self._clock.now()
        for cam in child.cameras:
            m = self._metrics[cam.camera_id]
            for gauge in (m.stream_active, m.stream_fps, m.stream_bitrate_bps):
                gauge.set(0)
            m.stream_reconnect.inc()
            view = self.cameras[cam.camera_id]
            view._lost(CameraState.RECONNECTING, detail, now, restarting=True)
            self._publish_status(view)

    def _publish_status(self, view: PooledCamera) -> None:
        try:
            self._on_status(view.status)
        except Exception:
            logger.exception("camera %s: on_status callback failed", view.camera_id)
