"""Reports: the daily summary of events and alert response times; where people were seen."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigil.alerts.reports import DailyReport
from vigil.api.deps import CurrentUser, Services
from vigil.api.schemas import ErrorBody
from vigil.errors import NotFoundError, VigilError
from vigil.model.times import Day, Instant

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/daily")
async def daily_report(
    services: Services,
    user: CurrentUser,
    day: Annotated[Day | None, Query(description="Site-local date; default: today.")] = None,
) -> DailyReport:
    """Counts per camera, type and hour for one day in the site's time zone, and how fast
    alerts were acknowledged (against the 5-minute goal). Limited to the user's cameras."""
    tz = services.config.site.tz
    when = day or services.clock.now().astimezone(tz).date()
    return await services.reports.daily(when, tz, user.cameras)


class BadHeatmapRangeError(VigilError):
    status_code = 400


_HEATMAP_MAX_RANGE = timedelta(days=31)


class HeatmapOut(BaseModel):
    camera_id: str
    start: datetime
    end: datetime
    cols: int
    rows: int
    cells: list[list[int]] = Field(
        description="People seen per cell: `rows` lists of `cols` counts, row 0 at the top of "
        "the frame, column 0 at the left. A person counts where they stand (the bottom centre "
        "of their box)."
    )
    people: int = Field(description="Detections binned.")
    events: int = Field(description="Events read.")
    truncated: bool = Field(description="The range held more events than one map reads (20000).")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "camera_id": "cam1",
                    "start": "2026-11-29T00:00:00Z",
                    "end": "2026-11-30T00:00:00Z",
                    "cols": 2,
                    "rows": 2,
                    "cells": [[0, 1], [4, 7]],
                    "people": 12,
                    "events": 9,
                    "truncated": False,
                }
            ]
        }
    }


@router.get("/heatmap", responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}})
async def heatmap(
    services: Services,
    user: CurrentUser,
    camera_id: Annotated[str, Query(max_length=64, description="Camera id.")],
    start: Annotated[
        Instant | None, Query(description="From (ISO 8601 with offset); default: end - 24 h.")
    ] = None,
    end: Annotated[
        Instant | None, Query(description="To (ISO 8601 with offset); default: now.")
    ] = None,
    cols: Annotated[int, Query(ge=1, le=64, description="Grid columns.")] = 32,
    rows: Annotated[int, Query(ge=1, le=64, description="Grid rows.")] = 18,
) -> HeatmapOut:
    """Where people were seen on one camera: the people of its events in [start, end) counted
    on a grid over the frame (at most 31 days)."""
    if not user.can_see(camera_id) or camera_id not in {c.id for c in services.config.cameras}:
        raise NotFoundError(f"no camera {camera_id!r}")
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise BadHeatmapRangeError(f"{name}: give a UTC offset, e.g. 2026-11-29T10:00:00Z")
    until = end or services.clock.now()
    try:
        since = start or until - timedelta(days=1)
    except OverflowError as err:
        raise BadHeatmapRangeError("end: too early for a 24 h default range; give start") from err
    if since >= until:
        raise BadHeatmapRangeError("start must be before end")
    if until - since > _HEATMAP_MAX_RANGE:
        raise BadHeatmapRangeError("the range is longer than 31 days")
    result = await services.reports.heatmap(camera_id, since, until, cols, rows)
    return HeatmapOut(**{f: getattr(result, f) for f in HeatmapOut.model_fields})
