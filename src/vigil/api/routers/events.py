"""Events: list (newest first) and read, with their snapshots."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response

from vigil.api.cursor import decode_cursor, encode_cursor
from vigil.api.deps import CurrentUser, Services
from vigil.api.schemas import ErrorBody, EventPage, EventPublic
from vigil.errors import NotFoundError

router = APIRouter(prefix="/events", tags=["events"])


@router.get("")
async def list_events(
    services: Services,
    _user: CurrentUser,
    camera_id: str | None = None,
    type: str | None = None,  # the API's field name
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> EventPage:
    after = decode_cursor(cursor) if cursor else None
    items = await services.events.query(camera_id, type, limit, after)
    next_cursor = (
        encode_cursor(items[-1].occurred_at, items[-1].id) if len(items) == limit else None
    )
    return EventPage(items=items, next_cursor=next_cursor)


@router.get("/{event_id}", responses={404: {"model": ErrorBody}})
async def get_event(event_id: str, services: Services, _user: CurrentUser) -> EventPublic:
    event, _ = await services.events.get(event_id)
    return event


@router.get(
    "/{event_id}/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorBody}},
)
async def event_snapshot(event_id: str, services: Services, _user: CurrentUser) -> Response:
    """The event's snapshot: the frame with the zone and the people who triggered it."""
    _, key = await services.events.get(event_id)
    if key is None:
        raise NotFoundError(f"event {event_id} has no snapshot")
    data = await asyncio.to_thread(services.store.get_bytes, "snapshots", key)
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )
