"""Reports: the daily summary of events and alert response times."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigil.api.deps import CurrentUser, Services

router = APIRouter(prefix="/reports", tags=["reports"])


class DailyReportOut(BaseModel):
    day: date
    timezone: str
    start: datetime
    end: datetime
    events_total: int
    events_by_camera: dict[str, int]
    events_by_type: dict[str, int]
    events_by_hour: list[int] = Field(description="24 counts by hour of the site's day.")
    alerts_total: int
    alerts_by_severity: dict[str, int]
    alerts_acknowledged: int
    ack_p50_s: float | None = Field(description="Median seconds from alert to acknowledgement.")
    ack_p90_s: float | None
    ack_max_s: float | None
    ack_within_goal_pct: float | None = Field(
        description="Share of acknowledged alerts acknowledged within 5 minutes."
    )


@router.get("/daily")
async def daily_report(
    services: Services,
    user: CurrentUser,
    day: Annotated[date | None, Query(description="Site-local date; default: today.")] = None,
) -> DailyReportOut:
    """Counts per camera, type and hour for one day in the site's time zone, and how fast
    alerts were acknowledged (against the 5-minute goal). Limited to the user's cameras."""
    tz = services.config.site.tz
    when = day or services.clock.now().astimezone(tz).date()
    report = await services.reports.daily(when, tz, user.cameras)
    return DailyReportOut(**{f: getattr(report, f) for f in DailyReportOut.model_fields})
