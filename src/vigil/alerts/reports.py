"""The daily report: what happened on one site day, and how fast people responded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import func, select

from vigil.db.session import Database
from vigil.db.tables import Alert, Event

ACK_GOAL_S = 300.0  # the reference's 5-minute acknowledgement goal


@dataclass(frozen=True, slots=True)
class DailyReport:
    """One site day: what happened, and how fast people responded (the API's daily report)."""

    day: date
    timezone: str
    start: datetime
    end: datetime
    events_total: int
    events_by_camera: dict[str, int]
    events_by_type: dict[str, int]
    events_by_hour: Annotated[list[int], Field(description="24 counts by hour of the site's day.")]
    alerts_total: int
    alerts_by_severity: dict[str, int]
    alerts_acknowledged: int
    ack_p50_s: Annotated[
        float | None, Field(description="Median seconds from alert to acknowledgement.")
    ]
    ack_p90_s: float | None
    ack_max_s: float | None
    ack_within_goal_pct: Annotated[
        float | None,
        Field(description="Share of acknowledged alerts acknowledged within 5 minutes."),
    ]


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return round(sorted_values[index], 1)


class ReportService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def daily(self, day: date, tz: ZoneInfo, cameras: frozenset[str] | None) -> DailyReport:
        return await asyncio.to_thread(self._daily, day, tz, cameras)

    def _daily(self, day: date, tz: ZoneInfo, cameras: frozenset[str] | None) -> DailyReport:
        start = datetime.combine(day, time(0), tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tz)
        local_hour = func.extract("hour", func.timezone(str(tz), Event.occurred_at))
        ev_where = [Event.occurred_at >= start, Event.occurred_at < end]
        al_where = [Alert.created_at >= start, Alert.created_at < end]
        if cameras is not None:
            ev_where.append(Event.camera_id.in_(sorted(cameras)))
            al_where.append(Alert.camera_id.in_(sorted(cameras)))
        with self._db.session() as session:
            by_camera = dict(
                session.execute(
                    select(Event.camera_id, func.count()).where(*ev_where).group_by(Event.camera_id)
                ).all()
            )
            by_type = dict(
                session.execute(
                    select(Event.type, func.count()).where(*ev_where).group_by(Event.type)
                ).all()
            )
            hours = [0] * 24
            for hour, count in session.execute(
                select(local_hour, func.count()).where(*ev_where).group_by(local_hour)
            ):
                hours[int(hour)] = int(count)
            by_severity = dict(
                session.execute(
                    select(Alert.severity, func.count()).where(*al_where).group_by(Alert.severity)
                ).all()
            )
            ack_delays = sorted(
                float(s)
                for s in session.execute(
                    select(func.extract("epoch", Alert.acknowledged_at - Alert.created_at)).where(
                        *al_where, Alert.acknowledged_at.is_not(None)
                    )
                ).scalars()
            )
        within = sum(1 for s in ack_delays if s <= ACK_GOAL_S)
        return DailyReport(
            day=day,
            timezone=str(tz),
            start=start,
            end=end,
            events_total=sum(by_camera.values()),
            events_by_camera=by_camera,
            events_by_type=by_type,
            events_by_hour=hours,
            alerts_total=sum(by_severity.values()),
            alerts_by_severity=by_severity,
            alerts_acknowledged=len(ack_delays),
            ack_p50_s=_percentile(ack_delays, 0.5),
            ack_p90_s=_percentile(ack_delays, 0.9),
            ack_max_s=round(ack_delays[-1], 1) if ack_delays else None,
            ack_within_goal_pct=round(100 * within / len(ack_delays), 1) if ack_delays else None,
        )

    async def heatmap(
        self, camera_id: str, start: datetime, end: datetime, cols: int, rows: int
    ) -> Heatmap:
        return await asyncio.to_thread(self._heatmap, camera_id, start, end, cols, rows)

    def _heatmap(
        self, camera_id: str, start: datetime, end: datetime, cols: int, rows: int
    ) -> Heatmap:
        query = (
            select(Event.bbox, Event.data)
            .where(
                Event.camera_id == camera_id, Event.occurred_at >= start, Event.occurred_at < end
            )
            .order_by(Event.occurred_at.desc())
            .limit(HEATMAP_MAX_EVENTS + 1)
        )
        with self._db.session() as session:
            rows_read = [tuple(row) for row in session.execute(query).all()]
        truncated = len(rows_read) > HEATMAP_MAX_EVENTS
        points = [
            p for bbox, data in rows_read[:HEATMAP_MAX_EVENTS] for p in _event_points(bbox, data)
        ]
        return Heatmap(
            camera_id=camera_id,
            start=start,
            end=end,
            cols=cols,
            rows=rows,
            cells=bin_points(points, cols, rows),
            people=len(points),
            events=min(len(rows_read), HEATMAP_MAX_EVENTS),
            truncated=truncated,
        )


HEATMAP_MAX_EVENTS = 20_000  # newest events read per heatmap; bounds the work per request


@dataclass(frozen=True, slots=True)
class Heatmap:
    camera_id: str
    start: datetime
    end: datetime
    cols: int
    rows: int
    cells: list[list[int]]  # rows x cols counts, row 0 at the top of the frame
    people: int  # detections binned
    events: int  # events read
    truncated: bool  # more than HEATMAP_MAX_EVENTS events in the range


def _feet_xy(bbox: object) -> tuple[float, float] | None:
    """Where a person stands: the bottom centre of a normalised xyxy box, or None if malformed."""
    if not isinstance(bbox, list | tuple) or len(bbox) != 4:
        return None
    try:
        x1, _y1, x2, y2 = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return None
    return (x1 + x2) / 2, y2


def bin_points(points: list[tuple[float, float]], cols: int, rows: int) -> list[list[int]]:
    """Counts of normalised (x, y) points per grid cell; points outside 0..1 are clamped."""
    cells = [[0] * cols for _ in range(rows)]
    for x, y in points:
        col = min(cols - 1, max(0, int(x * cols)))
        row = min(rows - 1, max(0, int(y * rows)))
        cells[row][col] += 1
    return cells


def _event_points(bbox: object, data: dict[str, object] | None) -> list[tuple[float, float]]:
    """Every person of the event (its `detections`), else its one box."""
    detections = (data or {}).get("detections")
    points: list[tuple[float, float]] = []
    if isinstance(detections, list) and detections:
        for d in detections:
            if isinstance(d, dict) and d.get("class", "person") == "person":
                xy = _feet_xy(d.get("bbox"))
                if xy is not None:
                    points.append(xy)
        return points
    xy = _feet_xy(bbox)
    return [xy] if xy is not None else []
