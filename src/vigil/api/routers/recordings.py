"""Recordings: the segment index per camera and recording integrity (coverage and gaps)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigil.api.deps import CurrentUser, Services
from vigil.edge.integrity import Coverage, RecordingQueries
from vigil.errors import NotFoundError, VigilError
from vigil.model.times import Instant

router = APIRouter(prefix="/recordings", tags=["recordings"])

_MAX_SEGMENTS = 5000
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


class RecordingOut(BaseModel):
    camera_id: str
    key: str = Field(description="Object key in the video-segments bucket.")
    start: datetime
    end: datetime
    duration_s: float
    size_bytes: int


class GapOut(BaseModel):
    start: datetime
    end: datetime
    seconds: float
    cause: str = Field(description="Camera state logged at the time, or 'edge not recording'.")


class CameraIntegrityOut(BaseModel):
    camera_id: str
    coverage_hour_pct: float = Field(description="Seconds recorded / expected, last hour, %.")
    coverage_day_pct: float = Field(description="Seconds recorded / expected, last 24 h, %.")
    recorded_day_s: float
    expected_day_s: float
    gap_day_s: float = Field(description="Seconds in gaps over the last 24 h.")
    gaps: list[GapOut] = Field(description="Gaps of the last 24 h, oldest first.")


class RecordingsUnavailableError(VigilError):
    status_code = 503


class BadRangeError(VigilError):
    status_code = 400


def _queries(services: Services) -> RecordingQueries:
    queries = services.recordings
    if queries is None:
        raise RecordingsUnavailableError("the recording index is not available here")
    return queries


@router.get("")
async def list_recordings(
    services: Services,
    user: CurrentUser,
    camera_id: Annotated[str, Query(description="Camera id.")],
    start: Annotated[Instant, Query(description="From (ISO 8601 with offset).")],
    end: Annotated[Instant, Query(description="To (ISO 8601 with offset).")],
) -> list[RecordingOut]:
    """Segments of one camera that overlap [start, end), oldest first (at most 5000). A
    deleted camera's recordings stay listed (by its id) until retention removes them."""
    queries = _queries(services)
    known = camera_id in {c.id for c in services.config.cameras}
    if not user.can_see(camera_id) or not (known or await queries.has_recordings(camera_id)):
        raise NotFoundError(f"no camera {camera_id!r}")
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRangeError("start and end need a UTC offset, e.g. 2026-11-29T10:00:00Z")
    if end <= start:
        raise BadRangeError("end must be after start")
    rows = await queries.segments(camera_id, start, end, _MAX_SEGMENTS)
    return [RecordingOut(**{f: getattr(r, f) for f in RecordingOut.model_fields}) for r in rows]


@router.get("/integrity")
async def recording_integrity(services: Services, user: CurrentUser) -> list[CameraIntegrityOut]:
    """Per camera the user may see: coverage over the last hour and day, and the gaps
    (start, end, cause) found in the segment index."""
    cams = [c.id for c in services.config.cameras if c.enabled and user.can_see(c.id)]
    queries = _queries(services)
    hour = {c.camera_id: c for c in await queries.integrity(cams, _HOUR)}
    day = await queries.integrity(cams, _DAY)
    return [_integrity_out(hour[d.camera_id], d) for d in day]


def _integrity_out(hour: Coverage, day: Coverage) -> CameraIntegrityOut:
    return CameraIntegrityOut(
        camera_id=day.camera_id,
        coverage_hour_pct=round(hour.percent, 2),
        coverage_day_pct=round(day.percent, 2),
        recorded_day_s=round(day.recorded_s, 1),
        expected_day_s=round(day.expected_s, 1),
        gap_day_s=round(sum(g.seconds for g in day.gaps), 1),
        gaps=[
            GapOut(start=g.start, end=g.end, seconds=round(g.seconds, 1), cause=g.cause)
            for g in day.gaps
        ],
    )
