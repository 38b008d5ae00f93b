"""Event queries for the API (newest first, keyset pagination)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select

from vigil.api.schemas import EventPublic
from vigil.db.models import Camera, Event
from vigil.db.session import Database
from vigil.errors import NotFoundError


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
        data=dict(event.data or {}),
    )


class EventQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def query(
        self,
        camera_id: str | None,
        event_type: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[EventPublic]:
        return await asyncio.to_thread(self._list, camera_id, event_type, limit, after)

    def _list(
        self,
        camera_id: str | None,
        event_type: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[EventPublic]:
        query = (
            select(Event, Camera.name)
            .outerjoin(Camera, Camera.id == Event.camera_id)
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(limit)
        )
        if camera_id:
            query = query.where(Event.camera_id == camera_id)
        if event_type:
            query = query.where(Event.type == event_type)
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

    async def get(self, event_id: str) -> tuple[EventPublic, str | None]:
        """The event and its snapshot's object key."""
        return await asyncio.to_thread(self._get, event_id)

    def _get(self, event_id: str) -> tuple[EventPublic, str | None]:
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
            if row is None:
                raise NotFoundError(f"no event {event_id}")
            return _public(row[0], row[1]), row[0].snapshot_key
