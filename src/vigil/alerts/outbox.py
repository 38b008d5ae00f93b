"""The `notifications` rows: one per message, its attempts, last error and final status."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update

from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import Notification, NotificationStatus
from vigil.ops.health import ComponentHealth


class Outbox:
    """Writes and reads notification rows; every method is blocking (call it in a thread)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def pending_rows(self) -> list[tuple[uuid.UUID, str, str, str, dict[str, Any]]]:
        with self._db.session() as session:
            rows = session.execute(
                select(
                    Notification.id,
                    Notification.channel,
                    Notification.recipient,
                    Notification.kind,
                    Notification.payload,
                )
                .where(Notification.status == NotificationStatus.PENDING)
                .order_by(Notification.created_at)
            ).all()
        return [(r[0], r[1], "" if r[2] == r[1] else r[2], r[3], r[4]) for r in rows]

    def health(self) -> ComponentHealth:
        """Pending (queued, retrying or held for a digest) and dead notifications."""
        with self._db.session() as session:
            counts = dict(
                session.execute(
                    select(Notification.status, func.count())
                    .where(Notification.status.in_(["pending", "dead"]))
                    .group_by(Notification.status)
                ).all()
            )
        pending, dead = int(counts.get("pending", 0)), int(counts.get("dead", 0))
        detail = f"{pending} pending notification(s), {dead} dead letter(s)"
        return ComponentHealth("degraded" if dead else "ok", detail)

    def insert(
        self, channel: str, address: str, kind: str, alert: dict[str, Any], held: bool
    ) -> uuid.UUID:
        row_id = uuid.uuid4()
        now = self._clock.now()
        alert_id = alert.get("id")
        with self._db.session() as session:
            session.add(
                Notification(
                    id=row_id,
                    alert_id=uuid.UUID(alert_id) if isinstance(alert_id, str) else None,
                    channel=channel,
                    recipient=address or channel,
                    kind=kind,
                    status=NotificationStatus.PENDING,
                    payload={"held": held, "alert": alert},
                    created_at=now,
                    updated_at=now,
                )
            )
            session.commit()
        return row_id

    def sent(self, row_id: uuid.UUID, attempts: int) -> None:
        now = self._clock.now()
        self._update(
            row_id, status=NotificationStatus.SENT, attempts=attempts, sent_at=now, updated_at=now
        )

    def failed(self, row_id: uuid.UUID, attempts: int, error: str, dead: bool) -> None:
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_error": error[:1000],
            "updated_at": self._clock.now(),
        }
        if dead:
            values["status"] = NotificationStatus.DEAD
        self._update(row_id, **values)

    def digested(self, rows: list[uuid.UUID]) -> None:
        with self._db.session() as session:
            session.execute(
                update(Notification)
                .where(Notification.id.in_(rows))
                .values(status=NotificationStatus.DIGESTED, updated_at=self._clock.now())
            )
            session.commit()

    def _update(self, row_id: uuid.UUID, **values: Any) -> None:
        with self._db.session() as session:
            session.execute(update(Notification).where(Notification.id == row_id).values(**values))
            session.commit()
