"""Recording integrity from the segment index: per camera, seconds recorded against seconds
expected, the gaps (start, end, cause) and coverage over a window.

Gaps are holes between indexed segments, never guessed; the cause quoted is the camera's
last non-online state change logged up to the gap's end (`camera_state_changes`), or
"edge not recording" when the camera never left online (the edge itself was down).
Nothing is expected of a camera before it was added (`cameras.created_at`), or before its
first segment when that is older (recordings indexed before the row was made).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import Camera, CameraStateChange, Segment
from vigil.db.tables.recordings import overlapping

GAP_MIN_S = 1.0  # holes shorter than this are keyframe-cut jitter, not lost video
# The newest segment is still being written: up to this much after the last indexed one
# is "in progress", not a gap.
IN_PROGRESS_S = 25.0
EDGE_DOWN = "edge not recording"


@dataclass(frozen=True, slots=True)
class Gap:
    start: datetime
    end: datetime
    cause: str

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class Coverage:
    """One camera over [start, end): `recorded_s` of `expected_s` seconds, and the gaps."""

    camera_id: str
    start: datetime
    end: datetime
    expected_s: float
    recorded_s: float
    gaps: tuple[Gap, ...]

    @property
    def percent(self) -> float:
        return 100.0 if self.expected_s <= 0 else 100.0 * self.recorded_s / self.expected_s


def find_gaps(
    spans: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> tuple[float, list[tuple[datetime, datetime]]]:
    """(seconds covered, holes >= GAP_MIN_S) of `spans` clipped to [start, end)."""
    covered = 0.0
    holes: list[tuple[datetime, datetime]] = []
    cursor = start
    for a, b in sorted(spans):
        a, b = max(a, start), min(b, end)
        if b <= cursor:
            continue
        if a > cursor:
            if (a - cursor).total_seconds() >= GAP_MIN_S:
                holes.append((cursor, a))
            cursor = a
        covered += (b - cursor).total_seconds()
        cursor = b
    if end > cursor and (end - cursor).total_seconds() >= GAP_MIN_S:
        holes.append((cursor, end))
    return covered, holes


def coverage(
    camera_id: str,
    spans: Sequence[tuple[datetime, datetime]],
    changes: Sequence[tuple[datetime, str, str | None]],
    start: datetime,
    end: datetime,
    since: datetime | None = None,
) -> Coverage:
    """Coverage of one camera; `changes` are its (at, state, detail), oldest first.

    Recording is expected from `since` (when the camera was added; None: always) or `start`,
    whichever is later. The tail after the last segment is not expected yet while it is
    shorter than `IN_PROGRESS_S` (that segment is still being written).
    """
    if since is not None:
        start = min(max(start, since), end)
    last_end = max((b for _, b in spans), default=None)
    if last_end is not None and timedelta(0) <= end - last_end <= timedelta(seconds=IN_PROGRESS_S):
        end = max(start, last_end)
    covered, holes = find_gaps(spans, start, end)
    gaps = tuple(Gap(a, b, _cause(changes, a, b)) for a, b in holes)
    return Coverage(camera_id, start, end, (end - start).total_seconds(), covered, gaps)


def _cause(changes: Sequence[tuple[datetime, str, str | None]], a: datetime, b: datetime) -> str:
    """The last non-online state logged before the gap ended (and not long before it
    began: one within a minute before the gap started counts). An online camera whose
    detail says why it is not recording (disk full, read-only) counts as such a state."""
    found: str | None = None
    for at, state, detail in changes:
        if at >= b:
            break
        if state == "online" and not detail:
            found = None if at <= a else found
            continue
        if at >= a - timedelta(minutes=1) or found is None:
            found = f"{state}: {detail}" if detail else state
    return found or EDGE_DOWN


@dataclass(frozen=True, slots=True)
class RecordingRow:
    camera_id: str
    key: str
    start: datetime
    end: datetime
    duration_s: float
    size_bytes: int


class RecordingQueries:
    """Read side of the recording index for the API."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def integrity(self, cameras: Sequence[str], window: timedelta) -> list[Coverage]:
        return await asyncio.to_thread(self._integrity, list(cameras), window)

    async def segments(
        self, camera_id: str, start: datetime, end: datetime, limit: int
    ) -> list[RecordingRow]:
        return await asyncio.to_thread(self._segments, camera_id, start, end, limit)

    async def has_recordings(self, camera_id: str) -> bool:
        """Whether any segment of `camera_id` is indexed (a deleted camera's may still be)."""
        return await asyncio.to_thread(self._has_recordings, camera_id)

    def _has_recordings(self, camera_id: str) -> bool:
        with self._db.session() as session:
            found = session.scalar(
                select(Segment.id).where(Segment.camera_id == camera_id).limit(1)
            )
        return found is not None

    def _integrity(self, cameras: list[str], window: timedelta) -> list[Coverage]:
        end = self._clock.now()
        start = end - window
        out = []
        with self._db.session() as session:
            added = dict(
                session.execute(
                    select(Camera.id, Camera.created_at).where(Camera.id.in_(cameras))
                ).all()
            )
            for cam in cameras:
                spans = session.execute(
                    select(Segment.start_at, Segment.end_at)
                    .where(overlapping(cam, start, end))
                    .order_by(Segment.start_at)
                ).all()
                changes = session.execute(
                    select(CameraStateChange.at, CameraStateChange.state, CameraStateChange.detail)
                    .where(
                        CameraStateChange.camera_id == cam,
                        CameraStateChange.at >= start - timedelta(minutes=1),
                        CameraStateChange.at < end,
                    )
                    .order_by(CameraStateChange.at)
                ).all()
                since = added.get(cam)
                if since is not None and spans:
                    since = min(since, spans[0][0])  # recorded before its row was made
                out.append(
                    coverage(
                        cam,
                        [(a, b) for a, b in spans],
                        [(at, state, detail) for at, state, detail in changes],
                        start,
                        end,
                        since,
                    )
                )
        return out

    def _segments(
        self, camera_id: str, start: datetime, end: datetime, limit: int
    ) -> list[RecordingRow]:
        with self._db.session() as session:
            rows = session.scalars(
                select(Segment)
                .where(overlapping(camera_id, start, end))
                .order_by(Segment.start_at)
                .limit(limit)
            ).all()
            return [
                RecordingRow(r.camera_id, r.key, r.start_at, r.end_at, r.duration_s, r.size_bytes)
                for r in rows
            ]
