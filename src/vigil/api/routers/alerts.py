"""Alerts: list, read, acknowledge, resolve, assign, notes; notification dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from vigil.alerts.service import STATUSES
from vigil.api.cursor import decode_cursor, encode_cursor
from vigil.api.deps import CurrentUser, Operator, Principal, Services, audit_success
from vigil.api.schemas import AlertCounts, AlertPage, ErrorBody
from vigil.errors import NotFoundError
from vigil.model.messages import AlertView

router = APIRouter(prefix="/alerts", tags=["alerts"])
_ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}, 409: {"model": ErrorBody}}


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str | None = Field(description="User to assign to; null unassigns.")


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)


class NotePublic(BaseModel):
    id: int
    alert_id: str
    author: str
    body: str
    created_at: datetime


class DeadLetterPublic(BaseModel):
    id: str
    alert_id: str | None
    channel: str
    recipient: str
    kind: str
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime


@router.get("")
async def list_alerts(
    services: Services,
    user: CurrentUser,
    status: Annotated[
        str, Query(description="Comma-separated: new, acknowledged, resolved.")
    ] = "new,acknowledged,resolved",
    camera_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> AlertPage:
    statuses = [s.strip() for s in status.split(",") if s.strip()] or list(STATUSES)
    after = decode_cursor(cursor) if cursor else None
    views = await services.alerts.query(statuses, camera_id, limit, after, user.cameras)
    items = list(views)
    next_cursor = encode_cursor(views[-1].created_at, views[-1].id) if len(views) == limit else None
    return AlertPage(items=items, next_cursor=next_cursor)


@router.get("/counts")
async def alert_counts(services: Services, user: CurrentUser) -> AlertCounts:
    """How many alerts are in each state (the header's unacknowledged count)."""
    counts = await services.alerts.counts(user.cameras)
    return AlertCounts(**{s: counts.get(s, 0) for s in STATUSES})


@router.get("/dead-letters")
async def dead_letters(
    services: Services, user: Operator, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[DeadLetterPublic]:
    """Notifications that failed every retry, with the last error, newest first (for a user
    scoped to some cameras: only those about alerts of these cameras)."""
    rows = await services.alerts.dead_letters(limit, cameras=user.cameras)
    return [
        DeadLetterPublic(
            id=str(n.id),
            alert_id=str(n.alert_id) if n.alert_id else None,
            channel=n.channel,
            recipient=n.recipient,
            kind=n.kind,
            attempts=n.attempts,
            last_error=n.last_error,
            created_at=n.created_at,
            updated_at=n.updated_at,
        )
        for n in rows
    ]


@router.get("/{alert_id}", responses={404: {"model": ErrorBody}})
async def get_alert(alert_id: str, services: Services, user: CurrentUser) -> AlertView:
    return await _visible(services, user, alert_id)


async def _visible(services: Services, user: Principal, alert_id: str) -> AlertView:
    """The alert, if the caller's camera scope includes its camera; else it does not exist."""
    view = await services.alerts.get(alert_id)
    if not user.can_see(view.camera_id):
        raise NotFoundError(f"no alert {alert_id}")
    return view


async def _audit(
    services: Services, request: Request, user: Operator, action: str, alert_id: str, **details: Any
) -> None:
    await audit_success(services, request, user, action, f"alerts/{alert_id}", details or None)


@router.post("/{alert_id}/ack", responses=_ERRORS)
async def acknowledge(
    alert_id: str, request: Request, services: Services, user: Operator
) -> AlertView:
    await _visible(services, user, alert_id)
    view = await services.alerts.acknowledge(alert_id, user.username)
    await _audit(services, request, user, "alert.ack", alert_id)
    return view


@router.post("/{alert_id}/resolve", responses=_ERRORS)
async def resolve(alert_id: str, request: Request, services: Services, user: Operator) -> AlertView:
    """Resolve (from new or acknowledged); resolving twice is harmless."""
    await _visible(services, user, alert_id)
    view = await services.alerts.resolve(alert_id, user.username)
    await _audit(services, request, user, "alert.resolve", alert_id)
    return view


@router.post("/{alert_id}/assign", responses=_ERRORS)
async def assign(
    alert_id: str, body: AssignBody, request: Request, services: Services, user: Operator
) -> AlertView:
    await _visible(services, user, alert_id)
    view = await services.alerts.assign(alert_id, body.username, user.username)
    await _audit(services, request, user, "alert.assign", alert_id, assignee=view.assigned_to)
    return view


@router.get("/{alert_id}/notes", responses={404: {"model": ErrorBody}})
async def list_notes(alert_id: str, services: Services, user: CurrentUser) -> list[NotePublic]:
    await _visible(services, user, alert_id)
    return [
        NotePublic.model_validate(n, from_attributes=True)
        for n in await services.alerts.notes(alert_id)
    ]


@router.post("/{alert_id}/notes", status_code=201, responses=_ERRORS)
async def add_note(
    alert_id: str, body: NoteBody, request: Request, services: Services, user: Operator
) -> NotePublic:
    await _visible(services, user, alert_id)
    note = await services.alerts.add_note(alert_id, user.username, body.body)
    await _audit(services, request, user, "alert.note", alert_id, note_id=note.id)
    return NotePublic.model_validate(note, from_attributes=True)
