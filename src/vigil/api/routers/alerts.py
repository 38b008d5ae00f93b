"""Alerts: list, read, acknowledge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from vigil.alerts.service import STATUSES
from vigil.api.cursor import decode_cursor, encode_cursor
from vigil.api.deps import CurrentUser, Operator, Services, client_ip
from vigil.api.schemas import AlertCounts, AlertPage, AlertPublic, ErrorBody

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("")
async def list_alerts(
    services: Services,
    _user: CurrentUser,
    status: Annotated[
        str, Query(description="Comma-separated: new, acknowledged, resolved.")
    ] = "new,acknowledged,resolved",
    camera_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> AlertPage:
    statuses = [s.strip() for s in status.split(",") if s.strip()] or list(STATUSES)
    after = decode_cursor(cursor) if cursor else None
    views = await services.alerts.query(statuses, camera_id, limit, after)
    items = [AlertPublic.model_validate(v.to_json()) for v in views]
    next_cursor = encode_cursor(views[-1].created_at, views[-1].id) if len(views) == limit else None
    return AlertPage(items=items, next_cursor=next_cursor)


@router.get("/counts")
async def alert_counts(services: Services, _user: CurrentUser) -> AlertCounts:
    """How many alerts are in each state (the header's unacknowledged count)."""
    counts = await services.alerts.counts()
    return AlertCounts(**{s: counts.get(s, 0) for s in STATUSES})


@router.get("/{alert_id}", responses={404: {"model": ErrorBody}})
async def get_alert(alert_id: str, services: Services, _user: CurrentUser) -> AlertPublic:
    return AlertPublic.model_validate((await services.alerts.get(alert_id)).to_json())


@router.post("/{alert_id}/ack", responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}})
async def acknowledge(
    alert_id: str, request: Request, services: Services, user: Operator
) -> AlertPublic:
    view = await services.alerts.acknowledge(alert_id, user.username)
    await services.audit.record(
        "alert.ack",
        actor=user.username,
        ip=client_ip(request),
        outcome="success",
        resource=f"alerts/{alert_id}",
    )
    return AlertPublic.model_validate(view.to_json())
