"""Event queries for the API (newest first, keyset pagination, filters, camera scope)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, String, and_, cast, func, or_, select

from vigil.db.session import Database
from vigil.db.tables import Camera, Event
from vigil.errors import NotFoundError
from vigil.model.views import EventPublic


@dataclass(frozen=True, slots=True)
class EventFilter:
    """All optional; `cameras` is the caller's scope (None: every camera)."""

    camera_id: str | None = None
    type: str | None = None
    severity: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    zone_id: str | None = None
    track_id: int | None = None
    text: str | None = None
    cameras: frozenset[str] | None = None


def _public(event: Event, camera_name: str | None) -> EventPublic:
    return EventPublic(
        id=str(event.id),
        occurred_at=event.occurred_at,
        camera_id=event.camera_id,
        camera_name=camera_name or event.camera_id,
        type=event.type,
        severity=event.severity,  # type: ignore[arg-type]  # CHECKed in the database
        rule_id=event.rule_id,
        zone_id=event.zone_id,
        confidence=event.confidence,
        bbox=list(event.bbox) if event.bbox else None,
        snapshot_url=f"/api/v1/events/{event.id}/snapshot" if event.snapshot_key else None,
        clip_url=f"/api/v1/events/{event.id}/clip" if event.clip_key else None,
        data=dict(event.data or {}),
    )


def _filtered(query: Select[Event, str], f: EventFilter) -> Select[Event, str]:
    if f.camera_id:
        query = query.where(Event.camera_id == f.camera_id)
    if f.cameras is not None:
        query = query.where(Event.camera_id.in_(sorted(f.cameras)))
    if f.type:
        query = query.where(Event.type == f.type)
    if f.severity:
        query = query.where(Event.severity == f.severity)
    # The time range also lets PostgreSQL skip whole monthly partitions.
    if f.start:
        query = query.where(Event.occurred_at >= f.start)
    if f.end:
        query = query.where(Event.occurred_at < f.end)
    if f.zone_id:
        query = query.where(Event.zone_id == f.zone_id)
    if f.track_id is not None:
        query = query.where(Event.track_id == f.track_id)
    if f.text:
        # Case-insensitive substring over what a person reads on an event: type, rule, zone,
        # camera name and the event's details. The pattern's own % and _ are literal.
        literal = f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        haystack = func.concat_ws(
            " ", Event.type, Event.rule_id, Event.zone_id, Camera.name, cast(Event.data, String)
        )
        query = query.where(haystack.ilike(f"%{literal}%", escape="\\"))
    return query


class EventQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def query(
        self, f: EventFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[EventPublic]:
        return await asyncio.to_thread(self._query, f, limit, after)

    def _query(
        self, f: EventFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[EventPublic]:
        query = _filtered(
            select(Event, Camera.name)
            .outerjoin(Camera, Camera.id == Event.camera_id)
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(limit),
            f,
        )
        if after is not None:
            at, last = after
            try:
                last_id = uuid.UUID(last)
            except ValueError as err:
                raise NotFoundError("cursor: unknown event") from err
            query = query.where(
                or_(Event.occurred_at < at, and_(Event.occurred_at == at, Event.id < last_id))
            )
        with self._db.session() as session:
            return [_public(e, name) for e, name in session.execute(query).all()]

    async def get(
        self, event_id: str, cameras: frozenset[str] | None = None
    ) -> tuple[EventPublic, str | None]:
        """The event and its snapshot's object key; events outside `cameras` do not exist."""
        event, snapshot, _ = await asyncio.to_thread(self._get, event_id, cameras)
        return event, snapshot

    async def clip_key(self, event_id: str, cameras: frozenset[str] | None = None) -> str | None:
        """The object key of the event's clip (None while it is being made or if it has none)."""
        _, _, clip = await asyncio.to_thread(self._get, event_id, cameras)
        return clip

    def _get(
        self, event_id: str, cameras: frozenset[str] | None
    ) -> tuple[EventPublic, str | None, str | None]:
        try:
            eid = uuid.UUID(event_id)
        except ValueError as err:
            raise NotFoundError(f"no event {event_id!r}") from err
        with self._db.session() as session:
            row = session.execute(
                select(Event, Camera.name)
                .outerjoin(Camera, Camera.id == Event.camera_id)
                .where(Event.id == eid)
            ).first()
            if row is None or (cameras is not None and row[0].camera_id not in cameras):
                raise NotFoundError(f"no event {event_id}")
            return _public(row[0], row[1]), row[0].snapshot_key, row[0].clip_key
