"""Alert lifecycle: list, read and acknowledge alerts; every change is pushed on the bus."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from vigil.alerts import lifecycle
from vigil.alerts.incidents import alert_view
from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import Alert, Camera, Notification, NotificationStatus
from vigil.errors import ConflictError, NotFoundError, VigilError
from vigil.model.messages import AlertView
from vigil.ops import metrics

log = logging.getLogger(__name__)

STATUSES = ("new", "acknowledged", "resolved")
_T = TypeVar("_T")


def _note_json(note: lifecycle.NoteView) -> dict[str, Any]:
    return {
        "id": note.id,
        "alert_id": note.alert_id,
        "author": note.author,
        "body": note.body,
        "created_at": note.created_at.isoformat(),
    }


class BadRequestError(VigilError):
    status_code = 400


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as err:
        raise NotFoundError(f"no {what} {value!r}") from err


class AlertService:
    def __init__(self, db: Database, bus: Bus, clock: Clock) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock

    async def query(
        self,
        statuses: Sequence[str] = STATUSES,
        camera_id: str | None = None,
        limit: int = 50,
        after: tuple[datetime, str] | None = None,
        cameras: frozenset[str] | None = None,
    ) -> list[AlertView]:
        """Newest first; `cameras` is the caller's scope (None: every camera)."""
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise BadRequestError(
                f"status: unknown value(s) {', '.join(unknown)}; use {', '.join(STATUSES)}"
            )
        return await asyncio.to_thread(self._list, list(statuses), camera_id, limit, after, cameras)

    def _list(
        self,
        statuses: list[str],
        camera_id: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
        cameras: frozenset[str] | None = None,
    ) -> list[AlertView]:
        query = (
            select(Alert, Camera.name)
            .outerjoin(Camera, Camera.id == Alert.camera_id)
            .where(Alert.status.in_(statuses))
            .order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(limit)
        )
        if camera_id:
            query = query.where(Alert.camera_id == camera_id)
        if cameras is not None:
            query = query.where(Alert.camera_id.in_(sorted(cameras)))
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(
                    Alert.created_at < at,
                    and_(Alert.created_at == at, Alert.id < parse_uuid(last_id, "alert")),
                )
            )
        with self._db.session() as session:
            return [alert_view(a, name) for a, name in session.execute(query).all()]

    async def get(self, alert_id: str) -> AlertView:
        return await asyncio.to_thread(self._get, parse_uuid(alert_id, "alert"))

    def _get(self, alert_id: uuid.UUID) -> AlertView:
        with self._db.session() as session:
            row = session.execute(
                select(Alert, Camera.name)
                .outerjoin(Camera, Camera.id == Alert.camera_id)
                .where(Alert.id == alert_id)
            ).first()
            if row is None:
                raise NotFoundError(f"no alert {alert_id}")
            return alert_view(row[0], row[1])

    async def acknowledge(self, alert_id: str, username: str) -> AlertView:
        """new -> acknowledged. Acknowledging twice is harmless; a resolved alert is a 409."""
        view, changed = await asyncio.to_thread(
            self._acknowledge, parse_uuid(alert_id, "alert"), username
        )
        if changed:
            log.info("alert %s acknowledged by %s", view.id, username)
            self._bus.publish(
                topics.ALERTS, view.camera_id, {"type": "alert.updated", "alert": view.to_json()}
            )
        return view

    def _acknowledge(self, alert_id: uuid.UUID, username: str) -> tuple[AlertView, bool]:
        with self._db.session() as session:
            alert, name = lifecycle.locked(session, alert_id)
            if alert.status == "resolved":
                raise ConflictError(f"alert {alert_id} is already resolved")
            changed = alert.status == "new"
            if changed:
                now = self._clock.now()
                alert.status = "acknowledged"
                alert.acknowledged_at = now
                alert.acknowledged_by = username
                alert.updated_at = now
                session.commit()
            return alert_view(alert, name), changed

    async def resolve(self, alert_id: str, username: str) -> AlertView:
        """-> resolved (from new or acknowledged); stops escalation. Twice is harmless."""
        return await self._change(lifecycle.resolve, alert_id, username, "resolved by")

    async def assign(self, alert_id: str, assignee: str | None, by: str) -> AlertView:
        """Assign to a user (None unassigns); a resolved alert is a 409."""
        view, changed = await asyncio.to_thread(
            self._in_session, lifecycle.assign, parse_uuid(alert_id, "alert"), assignee
        )
        if changed:
            log.info("alert %s assigned to %s by %s", view.id, assignee, by)
            self._publish(view)
        return view

    async def add_note(self, alert_id: str, author: str, body: str) -> lifecycle.NoteView:
        uid = parse_uuid(alert_id, "alert")
        note = await asyncio.to_thread(self._in_session, lifecycle.add_note, uid, author, body)
        self._bus.publish(topics.ALERTS, "notes", {"type": "alert.note", "note": _note_json(note)})
        return note

    async def notes(self, alert_id: str) -> list[lifecycle.NoteView]:
        uid = parse_uuid(alert_id, "alert")
        return await asyncio.to_thread(self._read, lifecycle.notes, uid)

    async def _change(
        self,
        step: Callable[[Session, uuid.UUID, str, datetime], tuple[AlertView, bool]],
        alert_id: str,
        username: str,
        verb: str,
    ) -> AlertView:
        view, changed = await asyncio.to_thread(
            self._in_session, step, parse_uuid(alert_id, "alert"), username
        )
        if changed:
            log.info("alert %s %s %s", view.id, verb, username)
            self._publish(view)
        return view

    def _in_session(self, step: Callable[..., _T], *args: Any) -> _T:
        with self._db.session() as session:
            return step(session, *args, self._clock.now())

    def _read(self, step: Callable[..., _T], *args: Any) -> _T:
        with self._db.session() as session:
            return step(session, *args)

    def _publish(self, view: AlertView) -> None:
        self._bus.publish(
            topics.ALERTS, view.camera_id, {"type": "alert.updated", "alert": view.to_json()}
        )

    async def dead_letters(
        self, limit: int = 100, *, cameras: frozenset[str] | None = None
    ) -> list[Notification]:
        """Notifications whose retries ran out, newest first; with `cameras`, only those about
        alerts of these cameras (None: all of them)."""
        return await asyncio.to_thread(self._dead_letters, limit, cameras)

    def _dead_letters(self, limit: int, cameras: frozenset[str] | None) -> list[Notification]:
        query = select(Notification).where(Notification.status == NotificationStatus.DEAD)
        if cameras is not None:
            # Notifications of no alert (channel tests, summaries) belong to no camera.
            query = query.join(Alert, Alert.id == Notification.alert_id).where(
                Alert.camera_id.in_(sorted(cameras))
            )
        with self._db.session() as session:
            rows = session.execute(
                query.order_by(Notification.updated_at.desc()).limit(limit)
            ).scalars()
            out = list(rows)
            session.expunge_all()
            return out

    async def pending_notifications(self) -> int:
        return await asyncio.to_thread(self._pending)

    def _pending(self) -> int:
        with self._db.session() as session:
            return int(
                session.execute(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.status == NotificationStatus.PENDING)
                ).scalar_one()
            )

    async def counts(self, cameras: frozenset[str] | None = None) -> dict[str, int]:
        return await asyncio.to_thread(self._counts, cameras)

    async def refresh_gauges(self) -> None:
        counts = await self.counts()
        for status in ("new", "acknowledged"):
            metrics.alerts_active.labels(status=status).set(counts.get(status, 0))

    def _counts(self, cameras: frozenset[str] | None = None) -> dict[str, int]:
        query = select(Alert.status, func.count()).group_by(Alert.status)
        if cameras is not None:
            query = query.where(Alert.camera_id.in_(sorted(cameras)))
        with self._db.session() as session:
            rows = session.execute(query).all()
            return {status: int(n) for status, n in rows}
