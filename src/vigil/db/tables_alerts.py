"""ORM models added by issue 5 (rules, alert lifecycle, notifications (analytics, alerts)).

Kept out of models.py so parallel work does not collide; models.py imports this module so the
tables register on `Base.metadata`. Migrations: versions/0004_alerts.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, func, text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.models import Base, one_of


class NotificationStatus(StrEnum):
    PENDING = "pending"  # queued or being retried
    SENT = "sent"
    DIGESTED = "digested"  # held back by a rate limit; went out in a digest
    DEAD = "dead"  # retries exhausted: a dead letter, shown in the API


class AlertNote(Base):
    """A note an operator wrote on an alert."""

    __tablename__ = "alert_notes"
    __table_args__ = (Index("ix_alert_notes_alert_id_created_at", "alert_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    author: Mapped[str]  # username
    body: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Notification(Base):
    """One message to one recipient on one channel, and how its delivery went."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(one_of("status", NotificationStatus), name="status"),
        Index("ix_notifications_status_created_at", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alert_id: Mapped[uuid.UUID | None]
    channel: Mapped[str]  # email, sms, push, webhook, mqtt, alarm
    recipient: Mapped[str]
    kind: Mapped[str]  # alert, escalation, digest
    status: Mapped[str]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None]
    payload: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    sent_at: Mapped[datetime | None]
