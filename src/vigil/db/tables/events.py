"""Events and the alerts raised from them: lifecycle, notes, and one `notifications` row per
message sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    PrimaryKeyConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.tables.base import (
    Base,
    created_at_column,
    jsonb_object_column,
    one_of,
    updated_at_column,
)


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Event(Base):
    """Something the analytics saw. Partitioned by month of `occurred_at` (UTC).

    `id` is deterministic (set by the producer) so re-delivered messages are idempotent.
    """

    __tablename__ = "events"
    __table_args__ = (
        PrimaryKeyConstraint("id", "occurred_at"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    occurred_at: Mapped[datetime]
    camera_id: Mapped[str]
    type: Mapped[str]  # e.g. "zone_intrusion"
    severity: Mapped[str]
    rule_id: Mapped[str | None]
    zone_id: Mapped[str | None]
    track_id: Mapped[int | None]
    confidence: Mapped[float | None]
    bbox: Mapped[list[float] | None] = mapped_column(JSONB)  # normalised xyxy
    snapshot_key: Mapped[str | None]
    clip_key: Mapped[str | None]
    data: Mapped[dict[str, Any]] = jsonb_object_column()
    created_at: Mapped[datetime] = created_at_column()


Index("ix_events_camera_id_occurred_at", Event.camera_id, Event.occurred_at.desc())
Index("ix_events_type_occurred_at", Event.type, Event.occurred_at.desc())


class Alert(Base):
    """An incident people act on: new -> acknowledged -> resolved.

    `incident_key` is deterministic so one incident yields one alert however often it is
    reported. `event_id` has no foreign key: `events` is partitioned and its key is
    (id, occurred_at), and events may be dropped with old partitions while alerts stay.
    """

    __tablename__ = "alerts"
    __table_args__ = (CheckConstraint(one_of("status", AlertStatus), name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID | None]
    camera_id: Mapped[str]
    rule_id: Mapped[str | None]
    type: Mapped[str]
    severity: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=text("'new'"))
    title: Mapped[str]
    incident_key: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None]  # username
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None]  # username
    snapshot_key: Mapped[str | None]
    data: Mapped[dict[str, Any]] = jsonb_object_column()
    # Added by migration 0004 (issue 5): assignment and escalation.
    assigned_to: Mapped[str | None]  # username
    assigned_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(server_default=text("0"))


Index("ix_alerts_status_created_at", Alert.status, Alert.created_at.desc())
Index("ix_alerts_camera_id_created_at", Alert.camera_id, Alert.created_at.desc())


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
