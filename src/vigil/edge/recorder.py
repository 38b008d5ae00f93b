"""Record a camera as MP4 segments by stream copy (no re-encode), cut only on keyframes.

A segment ends at the first keyframe at or after `segment_s` from its start, so every
segment starts with a keyframe and plays on its own. Each is written to the staging
directory, closed (moov written), then handed to the object store under
`<camera>/<YYYY>/<MM>/<DD>/<HH>/<camera>-<YYYYmmddTHHMMSS.ffffff>Z.mp4` (UTC start time).
Write and store errors lose at most the segment concerned: recording never stops.

Segments are fragmented MP4 (a fragment per GOP), so a file the process was killed
while writing still plays up to its last complete GOP; `recover_staging()` stores such
leftovers (and finished segments the store had refused) at the next start.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container
import av.error
from av.packet import Packet
from av.video.stream import VideoStream

from vigil.edge.disk import write_probe
from vigil.edge.metrics import CameraMetrics
from vigil.edge.salvage import leftover_segments, salvage_segment
from vigil.errors import StorageError
from vigil.model.messages import SegmentInfo
from vigil.storage.base import ObjectStore
from vigil.storage.recordings import BUCKET, segment_key

logger = logging.getLogger(__name__)

DEFAULT_SEGMENT_S = 10.0
# A backwards DTS step larger than this is a timestamp reset, not a glitch: re-base.
_DISCONTINUITY_S = 1.0
# A forward DTS step larger than this inside one connection is a clock change, not time
# that passed (a stream that stops sending is caught by the stall timeout instead).
_LEAP_S = 5.0
# Finished segments kept in staging while the store refuses them, retried at each cut.
_MAX_PENDING = 720
# Segments cut short by a write error (disk full) whose complete GOPs are on disk: repaired
# and stored once a later segment shows the disk takes writes again.
_MAX_PARTIAL = 16
# Fragmented MP4: the header up front and a self-contained fragment per keyframe, so a
# killed process leaves a file that plays up to its last GOP instead of one with no moov.
_MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"


@dataclass(slots=True)
class _Segment:
    key: str
    path: Path
    start: datetime
    dts_offset: int  # input DTS that maps to 0 in this segment
    output: av.container.OutputContainer | None = None
    stream: VideoStream | None = None
    last_dts: int | None = None  # rebased
    end_ticks: int = 0  # rebased end of the last packet (dts + duration)
    keyframes: int = 0
    packets: int = 0
    payload_bytes: int = 0  # of the packets muxed: the file can be no smaller
    broken: bool = False  # a write failed: drop packets until the next cut


@dataclass(frozen=True, slots=True)
class _Pending:
    path: Path
    info: SegmentInfo


class SegmentRecorder:
    """Writes the packets of one camera into keyframe-aligned MP4 segments.

    Call `begin(stream)` for each new connection, `write(packet, wall)` for each video
    packet (the packet is consumed: it is re-timed and muxed), and `finish()` when the
    connection ends or the worker stops. `on_segment` is called for each stored segment.
    Not thread-safe: one worker thread owns it.
    """

    def __init__(
        self,
        camera_id: str,
        *,
        store: ObjectStore,
        staging_dir: Path,
        on_segment: Callable[[SegmentInfo], None],
        segment_s: float = DEFAULT_SEGMENT_S,
        metrics: CameraMetrics | None = None,
        on_problem: Callable[[str | None], None] | None = None,
    ) -> None:
        if segment_s <= 0:
            raise ValueError(f"segment_s must be > 0, got {segment_s}")
        self.camera_id = camera_id
        self.store = store
        self.staging_dir = staging_dir
        self.segment_s = segment_s
        self._on_segment = on_segment
        self._metrics = metrics
        self._on_problem = on_problem
        self.problem: str | None = None  # why segments are not being recorded, while it lasts
        self._template: VideoStream | None = None
        self._time_base = Fraction(1, 90_000)
        self._frame_ticks = 1
        self._segment: _Segment | None = None
        self._pending: deque[_Pending] = deque()
        self._partials: deque[tuple[Path, datetime]] = deque()
        self.segments_stored = 0
        self.errors = 0
        self.timestamps_fixed = 0
        self.packets_skipped = 0  # before the first keyframe of a connection

    def begin(self, stream: VideoStream) -> None:
        """A new connection: later packets come from `stream` (its time base and codec)."""
        self.finish()
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        self._template = stream
        self._time_base = stream.time_base or Fraction(1, 90_000)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        self._frame_ticks = max(1, round(1 / (rate * self._time_base))) if rate else 1

    def write(self, packet: Packet[Any], wall: datetime) -> None:
        """Add one video packet captured at `wall` (UTC); consumes `packet`."""
        if self._template is None:
            raise RuntimeError("SegmentRecorder.begin(stream) first")
        if packet.dts is None:
            return
        seg = self._segment
        if seg is None:
            if not packet.is_keyframe:
                self.packets_skipped += 1  # undecodable without the keyframe before it
                return
            seg = self._open(packet, wall)
        dts, pts = self._retime(seg, packet)
        if packet.is_keyframe and seg.packets and (dts * self._time_base) >= self.segment_s - 1e-3:
            self._close(seg)
            seg = self._open(packet, wall)
            dts, pts = self._retime(seg, packet)
        seg.packets += 1
        seg.last_dts = dts
        duration = packet.duration or self._frame_ticks
        seg.end_ticks = dts + duration
        if packet.is_keyframe:
            seg.keyframes += 1
        if seg.broken:
            return
        packet.dts, packet.pts, packet.duration = dts, pts, duration
        size = packet.size
        try:
            self._mux(seg, packet)
        except (av.error.FFmpegError, OSError) as err:
            self._fail(seg, f"write failed: {err.strerror or err}", _why(err), keep=True)
            return
        seg.payload_bytes += size

    def recover_staging(self) -> list[SegmentInfo]:
        """Store what an earlier run left in staging for this camera, oldest first.

        A segment cut short by a kill is repaired (its intact GOPs kept) and stored with
        its true duration, so the lost tail shows as a gap in the index; one with nothing
        playable is deleted (its whole span is then a gap). Finished segments the store had
        refused are stored too. Call before the first `begin()`.
        """
        stored: list[SegmentInfo] = []
        for path, start in leftover_segments(self.staging_dir, self.camera_id):
            try:
                item = self._salvage(path, start)
            except OSError as err:  # no room (or read-only) for the repair: next start
                logger.error("camera %s: cannot repair %s yet: %s", self.camera_id, path, err)
                continue
            if item is None:
                continue
            if self._store(item):
                stored.append(item.info)
            elif len(self._pending) < _MAX_PENDING:
                self._pending.append(item)
        return stored

    def _salvage(self, path: Path, start: datetime, *, counted: bool = False) -> _Pending | None:
        """`path` repaired (intact GOPs kept) and described with its true duration; None
        (file removed; counted as a lost segment unless it already was) if nothing in it
        plays. Raises OSError when the disk has no room for the repaired copy (the file is
        then left as it was)."""
        salvaged = salvage_segment(path)
        if salvaged is None:
            logger.warning(
                "camera %s: leftover %s had nothing playable; dropped (a gap)",
                self.camera_id,
                path.name,
            )
            if not counted:
                self._count_error()
            return None
        logger.warning(
            "camera %s: recovered %.1f s from leftover segment %s",
            self.camera_id,
            salvaged.duration_s,
            path.name,
        )
        info = SegmentInfo(
            camera_id=self.camera_id,
            key=segment_key(self.camera_id, start),
            start=start,
            end=start + timedelta(seconds=salvaged.duration_s),
            size_bytes=path.stat().st_size,
            keyframe_count=salvaged.keyframes,
        )
        return _Pending(path, info)

    def _store_partials(self) -> None:
        """Segments cut short by a write error, oldest first, now that writes work again."""
        while self._partials:
            path, start = self._partials[0]
            try:
                item = self._salvage(path, start, counted=True)
            except OSError as err:
                logger.warning("camera %s: cannot repair %s yet: %s", self.camera_id, path, err)
                return
            self._partials.popleft()
            if item is not None and not self._store(item) and len(self._pending) < _MAX_PENDING:
                self._pending.append(item)

    def finish(self) -> SegmentInfo | None:
        """Close the open segment (a short one is fine) and store it; None if there was none."""
        seg, self._segment = self._segment, None
        return self._close(seg) if seg is not None else None

    # -- segments -------------------------------------------------------------------------

    def _open(self, packet: Packet[Any], wall: datetime) -> _Segment:
        assert packet.dts is not None
        start = wall.astimezone(UTC)
        key = segment_key(self.camera_id, start)
        while self._taken(key):  # the wall clock stepped back: never overwrite a recording
            start += timedelta(microseconds=1)
            key = segment_key(self.camera_id, start)
        seg = _Segment(
            key=key,
            path=self.staging_dir / key.rsplit("/", 1)[-1],
            start=start,
            dts_offset=packet.dts,
        )
        self._segment = seg
        try:
            seg.output = av.open(
                str(seg.path),
                mode="w",
                format="mp4",
                # flush_packets: hand each fragment to the OS as it completes (once a GOP),
                # not when FFmpeg's buffer fills, so a kill loses one GOP at most.
                options={"movflags": _MOVFLAGS, "flush_packets": "1"},
            )
            assert self._template is not None
            seg.stream = seg.output.add_stream_from_template(self._template)
        except (av.error.FFmpegError, OSError) as err:
            self._fail(seg, f"cannot create {seg.path}: {err.strerror or err}", _why(err))
        return seg

    def _taken(self, key: str) -> bool:
        if (self.staging_dir / key.rsplit("/", 1)[-1]).exists():
            return True
        try:
            return self.store.exists(BUCKET, key)
        except (StorageError, OSError):
            return False  # the store is down; a collision is then the lesser worry

    def _mux(self, seg: _Segment, packet: Packet[Any]) -> None:
        assert seg.output is not None and seg.stream is not None
        packet.stream = seg.stream
        seg.output.mux_one(packet)

    def _close(self, seg: _Segment) -> SegmentInfo | None:
        if self._segment is seg:
            self._segment = None
        if seg.broken or seg.output is None:
            return None
        try:
            seg.output.close()  # writes the moov: the file is now playable on its own
        except (av.error.FFmpegError, OSError) as err:
            self._fail(
                seg, f"cannot finish {seg.path}: {err.strerror or err}", _why(err), keep=True
            )
            return None
        if seg.packets == 0:
            seg.path.unlink(missing_ok=True)
            return None
        try:
            size = seg.path.stat().st_size
        except OSError as err:
            self._fail(seg, f"segment file vanished: {err.strerror}", _why(err))
            return None
        if size < seg.payload_bytes:
            # FFmpeg does not report a failed write of the last fragment at close (disk
            # full): the file holds less than was muxed. Keep its complete GOPs instead of
            # storing a segment that claims seconds it does not hold.
            self._fail(
                seg,
                f"cannot finish {seg.path}: {size} bytes on disk of {seg.payload_bytes} written",
                self._why_short(),
                keep=True,
            )
            return None
        end = seg.start + timedelta(seconds=float(seg.end_ticks * self._time_base))
        info = SegmentInfo(
            camera_id=self.camera_id,
            key=seg.key,
            start=seg.start,
            end=end,
            size_bytes=size,
            keyframe_count=seg.keyframes,
        )
        self._store_partials()
        self._retry_pending()
        item = _Pending(seg.path, info)
        if not self._store(item):
            self._count_error()
            if len(self._pending) < _MAX_PENDING:
                self._pending.append(item)
                logger.error("camera %s: segment %s kept in staging", self.camera_id, info.key)
            else:
                logger.error(
                    "camera %s: %d segments already wait for the store; %s left at %s",
                    self.camera_id,
                    len(self._pending),
                    info.key,
                    seg.path,
                )
        return info

    @property
    def pending(self) -> int:
        """Finished segments waiting in staging because the store refused them."""
        return len(self._pending)

    def _store(self, item: _Pending) -> bool:
        try:
            self.store.put_file(BUCKET, item.info.key, item.path, move=True)
        except (StorageError, OSError) as err:
            logger.error(
                "camera %s: cannot store segment %s: %s",
                self.camera_id,
                item.info.key,
                getattr(err, "detail", err),
            )
            self._set_problem(f"segments wait in staging, the store refuses them: {_why(err)}")
            return False
        self.segments_stored += 1
        self._set_problem(None)
        if self._metrics is not None:
            self._metrics.recording_segments.inc()
        try:
            self._on_segment(item.info)
        except Exception:
            logger.exception("camera %s: on_segment callback failed", self.camera_id)
        return True

    def _retry_pending(self) -> None:
        """Older segments the store refused go first, in order; stop at the first refusal."""
        while self._pending:
            if not self._store(self._pending[0]):
                return
            self._pending.popleft()

    def _fail(self, seg: _Segment, reason: str, why: str, *, keep: bool = False) -> None:
        """Give up on `seg`: log, count, remove its partial file; later packets are dropped
        until the next keyframe cut opens a fresh segment. With `keep` (a write failed
        mid-segment) a file that holds at least one finished GOP is kept, to be repaired and
        stored when the disk takes writes again: what was recorded before the fault stays."""
        logger.error("camera %s: segment %s lost: %s", self.camera_id, seg.key, reason)
        self._count_error()
        self._set_problem(f"segments lost: {why}")
        seg.broken = True
        if seg.output is not None:
            with contextlib.suppress(Exception):
                seg.output.close()
            seg.output = None
        # Fragments are written at each keyframe: from the second one on, a GOP is on disk.
        if keep and seg.keyframes >= 2 and len(self._partials) < _MAX_PARTIAL:
            self._partials.append((seg.path, seg.start))
            return
        with contextlib.suppress(OSError):
            seg.path.unlink(missing_ok=True)

    def _why_short(self) -> str:
        """Why a file came out shorter than what was written: ask the disk with a probe."""
        try:
            write_probe(self.staging_dir)
        except OSError as err:
            return _why(err)
        return "the last writes did not reach the disk"

    def _set_problem(self, problem: str | None) -> None:
        """Report when recording starts failing (and why) and when it works again."""
        if problem == self.problem:
            return
        self.problem = problem
        if self._on_problem is not None:
            try:
                self._on_problem(problem)
            except Exception:
                logger.exception("camera %s: on_problem callback failed", self.camera_id)

    def _count_error(self) -> None:
        self.errors += 1
        if self._metrics is not None:
            self._metrics.recording_errors.inc()

    # -- timestamps -------------------------------------------------------------------------

    def _retime(self, seg: _Segment, packet: Packet[Any]) -> tuple[int, int]:
        """Rebased (dts, pts) for `packet`: the segment starts at 0 and DTS strictly rises.

        A small step back (duplicate or reordered DTS) is nudged just past the previous
        packet; a large one (the camera reset its clock) re-bases the rest of the segment
        so that it continues one frame after the previous packet. So does a leap forward of
        more than `_LEAP_S` (the DVR's clock was set ahead): otherwise the segment would
        claim hours it does not hold. All are counted.
        """
        assert packet.dts is not None
        dts = packet.dts - seg.dts_offset
        pts = (packet.pts if packet.pts is not None else packet.dts) - seg.dts_offset
        last = seg.last_dts
        if last is not None and (dts - last) * self._time_base > _LEAP_S:
            self.timestamps_fixed += 1
            if self._metrics is not None:
                self._metrics.recording_timestamps_fixed.inc()
            shift = dts - (last + self._frame_ticks)
            seg.dts_offset += shift
            return dts - shift, max(pts - shift, dts - shift)
        if last is not None and dts <= last:
            self.timestamps_fixed += 1
            if self._metrics is not None:
                self._metrics.recording_timestamps_fixed.inc()
            if (last - dts) * self._time_base > _DISCONTINUITY_S:
                shift = last + self._frame_ticks - dts
                seg.dts_offset -= shift
                dts, pts = dts + shift, pts + shift
            else:
                dts = last + 1
        return dts, max(pts, dts)


def _why(err: BaseException) -> str:
    """The operating system's reason (e.g. "No space left on device"), without paths or
    keys, so that the same fault reads the same for every segment."""
    for e in (err, err.__cause__):
        strerror = getattr(e, "strerror", None)  # OSError and PyAV's FFmpegError
        if isinstance(strerror, str) and strerror:
            return strerror
    return str(err)
