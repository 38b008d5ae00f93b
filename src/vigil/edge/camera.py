"""`CameraWorker`: one thread per camera that pulls the stream once and feeds both the
recorder (stream copy) and the sampler (keyframe decode), reconnecting with backoff.

States: connecting → online (first packet) → reconnecting (after an error, detail says
why, URL masked) → online …; auth_failed when the DVR refuses the credentials (retried at
the longest backoff, since someone may fix the password on the DVR); offline once stopped.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from vigil.clock import Clock
from vigil.dvr.cpplus import mask_url
from vigil.edge.backoff import Backoff
from vigil.edge.live_hls import LiveHlsWriter
from vigil.edge.metrics import camera_metrics
from vigil.edge.recorder import DEFAULT_SEGMENT_S, SegmentRecorder
from vigil.edge.sampler import DEFAULT_FRAME_INTERVAL_S, FrameSampler
from vigil.edge.stream import (
    DEFAULT_STALL_TIMEOUT_S,
    StreamInterrupted,
    StreamReader,
    StreamTimeline,
)
from vigil.errors import StreamAuthError, StreamError
from vigil.model.messages import CameraState, CameraStatus, Frame, SegmentInfo
from vigil.storage.base import ObjectStore

logger = logging.getLogger(__name__)

_RATE_WINDOW_S = 5.0
_GAUGE_PERIOD_S = 1.0


class _RateWindow:
    """Packets and bytes per second over the last `window_s` seconds."""

    def __init__(self, window_s: float = _RATE_WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()
        self._bytes = 0

    def add(self, now_s: float, size: int) -> None:
        self._samples.append((now_s, size))
        self._bytes += size
        while self._samples and now_s - self._samples[0][0] > self.window_s:
            self._bytes -= self._samples.popleft()[1]

    def clear(self) -> None:
        self._samples.clear()
        self._bytes = 0

    def rates(self) -> tuple[float | None, float | None]:
        """(packets per second, bits per second); None until there are two samples."""
        if len(self._samples) < 2:
            return None, None
        span = self._samples[-1][0] - self._samples[0][0]
        if span <= 0:
            return None, None
        n = len(self._samples) - 1
        return n / span, (self._bytes - self._samples[0][1]) * 8 / span


class CameraWorker:
    """Pull, record and sample one camera in a daemon thread named `camera-<id>`.

    Callbacks run in the worker thread. `on_frame` must not block (publish onto a bounded
    bus); exceptions from any callback are logged and never stop recording.
    Times are seconds; `url` may hold a password and is only ever logged masked.
    """

    def __init__(
        self,
        camera_id: str,
        url: str,
        *,
        store: ObjectStore,
        staging_dir: Path,
        clock: Clock,
        on_frame: Callable[[Frame], None],
        on_segment: Callable[[SegmentInfo], None],
        on_status: Callable[[CameraStatus], None],
        segment_s: float = DEFAULT_SEGMENT_S,
        frame_interval_s: float = DEFAULT_FRAME_INTERVAL_S,
        stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S,
        backoff: Backoff | None = None,
        live_root: Path | None = None,
    ) -> None:
        self.camera_id = camera_id
        self._url = url
        self.masked_url = mask_url(url)
        self._clock = clock
        self._on_status = on_status
        self.stall_timeout_s = stall_timeout_s
        self._backoff = backoff or Backoff()
        self._metrics = camera_metrics(camera_id)
        self._recorder = SegmentRecorder(
            camera_id,
            store=store,
            staging_dir=staging_dir,
            on_segment=on_segment,
            segment_s=segment_s,
            metrics=self._metrics,
            on_problem=self._recording_problem,
        )
        self._sampler = FrameSampler(
            camera_id, on_frame=on_frame, frame_interval_s=frame_interval_s, metrics=self._metrics
        )
        # Live HLS into <live_root>/<camera_id>/ from the same packets (optional; its errors
        # never reach the recorder).
        self._live = None if live_root is None else LiveHlsWriter(camera_id, live_root / camera_id)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._reader: StreamReader | None = None
        self._rate = _RateWindow()  # worker thread only
        self._fps: float | None = None  # its latest reading, for `status`
        self._delivered = False
        self._reconnects = 0
        self._state = CameraState.CONNECTING
        self._detail: str | None = None
        self._changed_at = clock.now()
        self._width: int | None = None
        self._height: int | None = None

    # -- public ---------------------------------------------------------------------------

    @property
    def status(self) -> CameraStatus:
        """The latest status, with the frame rate measured over the last few seconds."""
        with self._lock:
            fps = self._fps if self._state is CameraState.ONLINE else None
            return CameraStatus(
                camera_id=self.camera_id,
                state=self._state,
                detail=self._detail,
                changed_at=self._changed_at,
                fps=round(fps, 2) if fps is not None else None,
                width=self._width,
                height=self._height,
                reconnects=self._reconnects,
            )

    @property
    def alive(self) -> bool:
        """Whether the worker thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start pulling the camera in a daemon thread `camera-<id>`."""
        if self._thread is not None:
            raise RuntimeError(f"camera {self.camera_id} worker already started")
        self._thread = threading.Thread(
            target=self._run, name=f"camera-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop and wait up to `timeout_s`; the open segment is closed and stored first.

        Interrupts a blocked connect or read and cuts a backoff sleep short, so this
        normally returns well under a second.
        """
        self._stop.set()
        with self._lock:
            reader = self._reader
        if reader is not None:
            reader.interrupt()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                logger.warning(
                    "camera %s worker did not stop within %.1f s", self.camera_id, timeout_s
                )

    # -- worker thread ----------------------------------------------------------------------

    def _run(self) -> None:
        logger.info("camera %s: pulling %s", self.camera_id, self.masked_url)
        try:
            self._recover_staging()
            while not self._stop.is_set():
                auth_failed = self._connect_once()
                if self._stop.is_set():
                    break
                if self._delivered:
                    self._backoff.reset()
                delay_s = self._backoff.max_delay() if auth_failed else self._backoff.next_delay()
                logger.info("camera %s: reconnecting in %.1f s", self.camera_id, delay_s)
                if self._stop.wait(delay_s):
                    break
                with self._lock:
                    self._reconnects += 1
                self._metrics.stream_reconnect.inc()
        except Exception:  # a bug; say so loudly rather than die silently
            logger.exception("camera %s worker crashed", self.camera_id)
            raise
        finally:
            if self._recorder.pending:
                logger.warning(
                    "camera %s: %d segments left in staging (the store refused them)",
                    self.camera_id,
                    self._recorder.pending,
                )
            self._metrics.stream_active.set(0)
            self._set_state(CameraState.OFFLINE, "stopped")

    def _recover_staging(self) -> None:
        """Segments a killed process left behind are repaired and stored before new ones."""
        try:
            self._recorder.recover_staging()
        except Exception:  # never let a bad leftover stop this camera's recording
            logger.exception("camera %s: recovering leftover segments failed", self.camera_id)

    def _connect_once(self) -> bool:
        """One connection, from open until it fails; True if the DVR refused the credentials."""
        reader = StreamReader(self._url, stall_timeout_s=self.stall_timeout_s, clock=self._clock)
        with self._lock:
            self._reader = reader
        if self._stop.is_set():  # stop() ran before the reader was visible to it
            reader.interrupt()
        self._delivered = False
        auth_failed = False
        try:
            reader.open()
            self._pump(reader)
        except StreamInterrupted:
            pass
        except StreamAuthError as err:
            auth_failed = True
            logger.error("camera %s: %s", self.camera_id, err.detail)
            self._set_state(CameraState.AUTH_FAILED, err.detail)
        except StreamError as err:
            logger.warning("camera %s: %s", self.camera_id, err.detail)
            self._set_state(CameraState.RECONNECTING, err.detail)
        except Exception as err:  # never let one bad connection end the camera
            logger.exception("camera %s: unexpected error on %s", self.camera_id, self.masked_url)
            self._set_state(CameraState.RECONNECTING, f"unexpected error: {type(err).__name__}")
        finally:
            self._metrics.stream_active.set(0)
            self._metrics.stream_fps.set(0)
            self._metrics.stream_bitrate_bps.set(0)
            self._rate.clear()
            self._fps = None
            try:
                self._recorder.finish()
            except Exception:
                logger.exception("camera %s: closing the segment failed", self.camera_id)
            if self._live is not None:
                self._live.close()
            reader.close()
            with self._lock:
                self._reader = None
        return auth_failed

    def _pump(self, reader: StreamReader) -> None:
        stream = reader.video_stream
        self._recorder.begin(stream)
        self._sampler.begin(stream)
        if self._live is not None:
            self._live.begin(stream)
        time_base = stream.time_base or Fraction(1, 90_000)
        timeline: StreamTimeline | None = None
        next_gauges_s = 0.0
        for packet in reader.packets():
            now_s = self._clock.monotonic()
            if timeline is None:
                first = packet.pts if packet.pts is not None else packet.dts
                assert first is not None  # the reader drops packets without a DTS
                timeline = StreamTimeline(self._clock, time_base, first)
                self._go_online(stream.codec_context.width, stream.codec_context.height)
            self._rate.add(now_s, packet.size)
            try:
                self._sampler.feed(packet, timeline.wall)
            except Exception:  # analysis must never stop recording
                logger.exception("camera %s: sampler failed on a packet", self.camera_id)
            wall = timeline.wall(packet.pts)
            if self._live is not None:
                self._live.write(packet)  # copies it; before the recorder consumes it
            self._recorder.write(packet, wall)  # consumes the packet (re-timed)
            if now_s >= next_gauges_s:
                next_gauges_s = now_s + _GAUGE_PERIOD_S
                fps, bps = self._rate.rates()
                self._fps = fps
                self._metrics.stream_fps.set(fps or 0)
                self._metrics.stream_bitrate_bps.set(bps or 0)
                late_s = (self._clock.now() - wall).total_seconds()
                self._metrics.stream_latency_seconds.set(max(0.0, late_s))
            if self._stop.is_set():
                raise StreamInterrupted("stopped")

    def _go_online(self, width: int, height: int) -> None:
        self._delivered = True
        with self._lock:
            self._width, self._height = (width or None), (height or None)
        self._metrics.stream_active.set(1)
        logger.info("camera %s: online (%sx%s)", self.camera_id, width, height)
        self._set_state(CameraState.ONLINE, _not_recording(self._recorder.problem))

    def _recording_problem(self, problem: str | None) -> None:
        """The stream flows but segments are not recorded (disk full, read-only…): an online
        camera says so in its status detail until a segment is stored again."""
        with self._lock:
            online = self._state is CameraState.ONLINE
        if online:
            self._set_state(CameraState.ONLINE, _not_recording(problem))

    def _set_state(self, state: CameraState, detail: str | None) -> None:
        with self._lock:
            if state is self._state and detail == self._detail:
                return
            self._state, self._detail, self._changed_at = state, detail, self._clock.now()
        try:
            self._on_status(self.status)
        except Exception:
            logger.exception("camera %s: on_status callback failed", self.camera_id)


def _not_recording(problem: str | None) -> str | None:
    return None if problem is None else f"not recording: {problem}"
