"""Pull one camera's RTSP stream with PyAV: open, classify failures, yield video packets.

`StreamReader` is one connection (the worker reconnects by making a new one). Its packets
are demuxed once and shared by the recorder and the sampler. `StreamTimeline` maps the
connection's stream timestamps to wall-clock UTC.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import types
from collections.abc import Iterator
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any
from urllib.parse import urlsplit

import av
import av.container
import av.error
from av.packet import Packet
from av.video.stream import VideoStream

from vigil.clock import Clock, SystemClock
from vigil.dvr.cpplus import CpPlusUrlError, mask_url, parse_cpplus_path
from vigil.errors import StreamAuthError, StreamError

logger = logging.getLogger(__name__)

DEFAULT_STALL_TIMEOUT_S = 10.0
DEFAULT_OPEN_TIMEOUT_S = 10.0


class StreamInterrupted(StreamError):
    """The reader was interrupted on purpose (worker stopping); not a stream failure."""


class StreamReader:
    """One connection to a camera stream; iterate `packets()` in a single worker thread.

    A stall (no video packet for `stall_timeout_s`) ends `packets()` with `StreamError`;
    so does the end of the stream. `interrupt()` may be called from any thread and makes a
    blocked open return within about 0.1 s, and a read at the next packet (on a silent
    camera, at the stall timeout).
    """

    def __init__(
        self,
        url: str,
        *,
        stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S,
        open_timeout_s: float = DEFAULT_OPEN_TIMEOUT_S,
        clock: Clock | None = None,
    ) -> None:
        self.url = url
        self.masked_url = mask_url(url)
        self.stall_timeout_s = stall_timeout_s
        self.open_timeout_s = open_timeout_s
        self._clock = clock or SystemClock()
        self._container: av.container.InputContainer | None = None
        self._video: VideoStream | None = None
        self._thread_id: int | None = None
        self._interrupted = False
        self._lock = threading.Lock()

    def __enter__(self) -> StreamReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def video_stream(self) -> VideoStream:
        if self._video is None:
            raise RuntimeError("StreamReader.open() first")
        return self._video

    def open(self) -> None:
        """Connect and find the video stream; raises `StreamAuthError` or `StreamError`."""
        _interrupt_clock().install()
        with self._lock:
            self._thread_id = threading.get_ident()
            if self._interrupted:
                raise StreamInterrupted("stopped before connecting")
        options = {}
        if self.url.startswith(("rtsp://", "rtsps://")):
            # FFmpeg >= 5 renamed the RTSP socket timeout `stimeout` to `timeout` (microseconds);
            # it bounds connect and every socket read, so a dead DVR raises instead of hanging.
            options = {
                "rtsp_transport": "tcp",
                "timeout": str(int(self.stall_timeout_s * 1_000_000)),
                "allowed_media_types": "video",
            }
        # Real time, not the injected clock: it is FFmpeg's real-time deadline being judged.
        started_s = time.monotonic()
        # FFmpeg's error messages end with the URL, password included, so its errors are
        # translated `from None`: a logged traceback must not carry the original.
        try:
            # PyAV's open timeout installs FFmpeg's interrupt callback, which is also what
            # `interrupt()` trips. No read timeout: with one, FFmpeg's callback takes the GIL
            # ~1,200 times a second per camera (every socket poll), which costs ~20% of the
            # ingest CPU and serialises cameras sharing a process. Reads are bounded instead
            # by the socket timeout (RTSP `timeout` above = the stall limit) and by the
            # stall check in `packets()`; a read blocked on a silent camera thus ends within
            # `stall_timeout_s` even after `interrupt()`.
            container = av.open(self.url, options=options, timeout=(self.open_timeout_s, None))
        except av.error.FFmpegError as err:
            if self._interrupted:
                raise StreamInterrupted("stopped while connecting") from None
            if time.monotonic() - started_s >= 0.95 * self.open_timeout_s:
                raise StreamError(
                    f"no answer from {_hostport(self.url)} within {self.open_timeout_s:g} s"
                ) from None
            raise classify_open_error(err, self.url, self.open_timeout_s) from None
        except OSError as err:
            raise StreamError(f"cannot open {self.masked_url}: {err.strerror or err}") from None
        if not isinstance(container, av.container.InputContainer):  # pragma: no cover
            container.close()
            raise StreamError(f"{self.masked_url} is not an input")
        if not container.streams.video:
            container.close()
            raise StreamError(f"no video stream at {self.masked_url}")
        self._container = container
        self._video = container.streams.video[0]

    def packets(self) -> Iterator[Packet[Any]]:
        """Video packets that carry data, in demux order, until the stream fails or ends."""
        container, video = self._container, self.video_stream
        if container is None:
            raise RuntimeError("StreamReader.open() first")
        last_video_s = self._clock.monotonic()
        try:
            # All streams are demuxed so that a camera sending audio but no video still counts
            # as stalled (PyAV's read timeout only sees that *some* packet arrived).
            for packet in container.demux():
                if self._interrupted:
                    raise StreamInterrupted("stopped")
                now_s = self._clock.monotonic()
                if packet.stream_index != video.index:
                    if now_s - last_video_s > self.stall_timeout_s:
                        raise self._stalled()
                    continue
                # Skip packets without data or DTS: the RTSP demuxer's first packet can be
                # empty, and demux() ends with an empty flush packet meant for decoders.
                # Neither can be muxed or timed.
                if packet.size == 0 or packet.dts is None:
                    continue
                last_video_s = now_s
                yield packet
        except av.error.FFmpegError as err:  # `from None`: see open()
            if self._interrupted:
                raise StreamInterrupted("stopped") from None
            if isinstance(err, av.error.ExitError | av.error.TimeoutError):
                raise self._stalled() from None
            raise StreamError(f"stream {self.masked_url} failed: {_reason(err)}") from None
        if self._interrupted:
            raise StreamInterrupted("stopped")
        raise StreamError(f"stream {self.masked_url} ended (the camera closed the connection)")

    def interrupt(self) -> None:
        """Make a blocked `open()` or read give up promptly. Safe from any thread."""
        with self._lock:
            self._interrupted = True
            if self._thread_id is not None:
                _interrupt_clock().flag(self._thread_id)

    def close(self) -> None:
        with self._lock:
            if self._thread_id is not None:
                _interrupt_clock().unflag(self._thread_id)
        if self._container is not None:
            container, self._container = self._container, None
            try:
                container.close()
            except av.error.FFmpegError as err:  # a broken connection may fail its TEARDOWN
                logger.debug("closing %s: %s", self.masked_url, _reason(err))

    def _stalled(self) -> StreamError:
        return StreamError(
            f"no video from {self.masked_url} for {self.stall_timeout_s:g} s (stream stalled)"
        )


def classify_open_error(err: av.error.FFmpegError, url: str, timeout_s: float) -> StreamError:
    """Turn an FFmpeg open error into a `StreamError` a user can act on (password masked)."""
    masked = mask_url(url)
    if isinstance(err, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        user = url_username(url)
        who = f"user '{user}'" if user else "the given user"
        return StreamAuthError(
            f"DVR refused the credentials for {who} — wrong password? ({masked})"
        )
    if isinstance(err, av.error.HTTPNotFoundError):
        return StreamError(f"channel not found: the DVR has no stream at {masked}")
    if isinstance(err, av.error.ConnectionRefusedError):
        return StreamError(f"connection refused by {_hostport(url)} (is the RTSP port right?)")
    if isinstance(err, av.error.ExitError | av.error.TimeoutError):
        return StreamError(f"no answer from {_hostport(url)} within {timeout_s:g} s")
    return StreamError(f"cannot open {masked}: {_reason(err)}")


def url_username(url: str) -> str | None:
    """The user name in a CP PLUS path or in the URL's userinfo, if any."""
    parts = urlsplit(url)
    try:
        return parse_cpplus_path(parts.path).user
    except CpPlusUrlError:
        return parts.username


def _hostport(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname}:{port}" if port else str(parts.hostname)


def _reason(err: av.error.FFmpegError) -> str:
    # str(err) ends with the URL, password included: use the bare FFmpeg reason instead.
    return str(err.strerror or type(err).__name__)


class StreamTimeline:
    """Maps one connection's presentation timestamps to wall-clock UTC.

    Anchored at the first packet: wall(pts) = clock.now() at anchoring +
    (pts - first_pts) * time_base. When the stream time drifts more than `max_drift_s` from
    the monotonic clock (a camera resetting its timestamps), it re-anchors; None disables.
    """

    def __init__(
        self,
        clock: Clock,
        time_base: Fraction,
        first_pts: int,
        *,
        max_drift_s: float | None = 30.0,
    ) -> None:
        self._clock = clock
        self.time_base = time_base
        self.max_drift_s = max_drift_s
        self.reanchors = 0
        self._anchor(first_pts)

    def _anchor(self, pts: int) -> None:
        self._pts0 = pts
        self._wall0 = self._clock.now()
        self._mono0 = self._clock.monotonic()

    def seconds(self, pts: int) -> float:
        """Stream seconds since the anchor."""
        return float((pts - self._pts0) * self.time_base)

    def wall(self, pts: int | None) -> datetime:
        """Wall-clock UTC of `pts` (None: now)."""
        if pts is None:
            return self._clock.now()
        offset_s = self.seconds(pts)
        if self.max_drift_s is not None:
            elapsed_s = self._clock.monotonic() - self._mono0
            if abs(offset_s - elapsed_s) > self.max_drift_s:
                logger.warning(
                    "stream time drifted %.1f s from the clock; re-anchoring",
                    offset_s - elapsed_s,
                )
                self.reanchors += 1
                self._anchor(pts)
                offset_s = 0.0
        return self._wall0 + timedelta(seconds=offset_s)


class _InterruptClock:
    """Stands in for the `time` module that PyAV's FFmpeg interrupt callback reads.

    PyAV has no public way to abort a blocking read from another thread (closing the
    container from another thread is a use-after-free). Its interrupt callback aborts when
    `time.monotonic()` passes the read's deadline; for threads flagged here we make the
    clock leap forward on every call, so their pending open/read aborts within FFmpeg's
    ~0.1 s polling. Other threads see the real clock. If PyAV ever stops reading `time`
    this way, `install` does nothing and reads still end at the stall timeout.
    """

    def __init__(self, real: types.ModuleType) -> None:
        self._real = real
        self._flagged: set[int] = set()
        self._leap = itertools.count(1)

    def monotonic(self) -> float:
        now = float(self._real.monotonic())
        if self._flagged and threading.get_ident() in self._flagged:
            return now + 1e9 * next(self._leap)
        return now

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def flag(self, thread_id: int) -> None:
        self._flagged.add(thread_id)

    def unflag(self, thread_id: int) -> None:
        self._flagged.discard(thread_id)

    def install(self) -> None:
        import av.container.core as core

        if getattr(core, "time", None) is self._real:
            core.time = self  # type: ignore[attr-defined]  # see the class docstring


_clock_lock = threading.Lock()
_clock_singleton: _InterruptClock | None = None


def _interrupt_clock() -> _InterruptClock:
    global _clock_singleton
    with _clock_lock:
        if _clock_singleton is None:
            _clock_singleton = _InterruptClock(time)
        return _clock_singleton


def interrupts_supported() -> bool:
    """Whether `StreamReader.interrupt` can cut a blocked read short on this PyAV."""
    import av.container.core as core

    clock = _interrupt_clock()
    clock.install()
    return getattr(core, "time", None) is clock
