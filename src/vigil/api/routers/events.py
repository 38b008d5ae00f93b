"""Events: list (newest first, filtered, paginated) and read, with their snapshots."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response

from vigil.alerts.events import EventFilter
from vigil.api.cursor import decode_cursor, encode_cursor
from vigil.api.deps import CurrentUser, Services
from vigil.api.schemas import ErrorBody, EventPage
from vigil.config import Severity
from vigil.errors import NotFoundError, VigilError
from vigil.model.times import Instant
from vigil.model.views import EventPublic

router = APIRouter(prefix="/events", tags=["events"])


class BadRangeError(VigilError):
    status_code = 400


@router.get("", responses={400: {"model": ErrorBody}})
async def list_events(
    services: Services,
    user: CurrentUser,
    camera_id: str | None = None,
    type: Annotated[str | None, Query(max_length=64, examples=["zone_intrusion"])] = None,
    severity: Severity | None = None,
    start: Annotated[
        Instant | None, Query(description="From (inclusive), ISO-8601 with zone")
    ] = None,
    end: Annotated[Instant | None, Query(description="To (exclusive), ISO-8601 with zone")] = None,
    zone_id: Annotated[str | None, Query(max_length=64)] = None,
    track_id: Annotated[int | None, Query(ge=0, le=2**31 - 1, description="Tracker id")] = None,
    text: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Case-insensitive words to find in the type, rule, zone, camera name "
            "or details",
            examples=["gate"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> EventPage:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise BadRangeError(f"{name}: give a time zone (e.g. 2026-11-02T18:00:00Z)")
    if start and end and start >= end:
        raise BadRangeError("start must be before end")
    after = decode_cursor(cursor) if cursor else None
    f = EventFilter(
        camera_id=camera_id,
        type=type,
        severity=severity,
        start=start,
        end=end,
        zone_id=zone_id,
        track_id=track_id,
        text=text,
        cameras=user.cameras,
    )
    items = await services.events.query(f, limit, after)
    next_cursor = (
        encode_cursor(items[-1].occurred_at, items[-1].id) if len(items) == limit else None
    )
    return EventPage(items=items, next_cursor=next_cursor)


@router.get("/{event_id}", responses={404: {"model": ErrorBody}})
async def get_event(event_id: str, services: Services, user: CurrentUser) -> EventPublic:
    event, _ = await services.events.get(event_id, user.cameras)
    return event


@router.get(
    "/{event_id}/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorBody}},
)
async def event_snapshot(event_id: str, services: Services, user: CurrentUser) -> Response:
    """The event's snapshot: the frame with the zone and the people who triggered it."""
    _, key = await services.events.get(event_id, user.cameras)
    if key is None:
        raise NotFoundError(f"event {event_id} has no snapshot")
    data = await asyncio.to_thread(services.store.get_bytes, "snapshots", key)
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )


@router.get(
    "/{event_id}/clip",
    response_class=Response,
    responses={200: {"content": {"video/mp4": {}}}, 404: {"model": ErrorBody}},
)
async def event_clip(event_id: str, services: Services, user: CurrentUser) -> Response:
    """The event's clip: an MP4 cut by stream copy around the event (made shortly after it)."""
    key = await services.events.clip_key(event_id, user.cameras)
    if key is None:
        raise NotFoundError(f"event {event_id} has no clip (yet)")
    data = await asyncio.to_thread(services.store.get_bytes, "clips", key)
    return Response(
        data,
        media_type="video/mp4",
        headers={
            "Cache-Control": "private, max-age=86400",
            "Content-Disposition": f'inline; filename="event-{event_id}.mp4"',
        },
    )
