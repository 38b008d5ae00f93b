"""Vigil's tables as SQLAlchemy 2.0 typed models.

Times are `timestamptz` and come back tz-aware in UTC; binding a naive datetime raises.
Boxes and polygons are normalised to the frame (0..1), boxes as xyxy.
The schema is created only by the Alembic migrations in `vigil.db.migrations`; these models
must describe exactly what they create (a test compares the two). What the models cannot
express is created by the migrations alone: the `events` partitions and
`vigil_ensure_event_partitions()`, and the append-only trigger on `audit_log`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Text,
    TypeDecorator,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vigil.clock import utc
from vigil.model.messages import CameraState

#: Dimension of the stored face vectors: FaceNet's 512, or SFace's 128 followed by 384 zeros
#: (cosine unchanged); `embedding_model` says which (migration 0013).
FACE_EMBEDDING_DIM = 512

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """`timestamptz` that refuses naive datetimes and returns UTC ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        str: Text(),
        int: Integer(),
        float: Double(),
        uuid.UUID: PG_UUID(as_uuid=True),
        dict[str, Any]: JSONB(),
    }


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class RuleSource(StrEnum):
    CONFIG = "config"
    API = "api"


class ZoneKind(StrEnum):
    ZONE = "zone"
    LINE = "line"


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


def one_of(column: str, values: type[StrEnum]) -> str:
    """SQL for a CHECK that `column` holds one of the enum's values."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({listed})"


def _created() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def _updated() -> Mapped[datetime]:
    return mapped_column(server_default=func.now(), onupdate=func.now())


def _jsonb_object() -> Mapped[dict[str, Any]]:
    return mapped_column(server_default=text("'{}'::jsonb"))


class Camera(Base):
    """A camera (one DVR channel and stream, or its own URL) and its last known connection
    state. `source` "config" rows mirror site.yaml (`defined_in` e.g. "cameras[2]"); "api" rows
    are cameras added through the API (versions/0009_cameras.py): their RTSP URL is kept only
    encrypted (`url_encrypted`, a Fernet token), `channel` is null for them when they have one."""

    __tablename__ = "cameras"
    __table_args__ = (
        CheckConstraint("stream IN (0, 1)", name="stream"),
        CheckConstraint(one_of("state", CameraState), name="state"),
        CheckConstraint(one_of("source", RuleSource), name="source"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)  # e.g. "cam1"
    name: Mapped[str]
    channel: Mapped[int | None]
    stream: Mapped[int]  # 0 main, 1 sub
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    source: Mapped[str] = mapped_column(server_default=text("'config'"))
    defined_in: Mapped[str | None]
    url_encrypted: Mapped[str | None]
    display_aspect: Mapped[str] = mapped_column(server_default=text("'auto'"))
    state: Mapped[str] = mapped_column(server_default=text("'connecting'"))
    state_detail: Mapped[str | None]
    last_frame_at: Mapped[datetime | None]
    last_state_change_at: Mapped[datetime | None]
    width: Mapped[int | None]  # pixels
    height: Mapped[int | None]  # pixels
    fps: Mapped[float | None]
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


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
    data: Mapped[dict[str, Any]] = _jsonb_object()
    created_at: Mapped[datetime] = _created()


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
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None]  # username
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None]  # username
    snapshot_key: Mapped[str | None]
    data: Mapped[dict[str, Any]] = _jsonb_object()
    # Added by migration 0004 (issue 5): assignment and escalation.
    assigned_to: Mapped[str | None]  # username
    assigned_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(server_default=text("0"))


Index("ix_alerts_status_created_at", Alert.status, Alert.created_at.desc())
Index("ix_alerts_camera_id_created_at", Alert.camera_id, Alert.created_at.desc())


class FaceEmbedding(Base):
    """A face seen on a camera, as a 512-d embedding searched by cosine distance (HNSW) among
    the vectors of the same `embedding_model`."""

    __tablename__ = "face_embeddings"
    __table_args__ = (
        Index(
            "ix_face_embeddings_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            # m=16/64 (the reference's) misses recall@10 0.95 at p99 20 ms: migration 0012.
            postgresql_with={"m": 32, "ef_construction": 128},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
        Index("ix_face_embeddings_created_at_id", "created_at", "id"),  # the uplink's cursor
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[str]
    track_id: Mapped[int | None]
    event_id: Mapped[uuid.UUID | None]
    captured_at: Mapped[datetime]
    embedding: Mapped[list[float]] = mapped_column(Vector(FACE_EMBEDDING_DIM))
    embedding_model: Mapped[str]  # the model that made `embedding` (migration 0013)
    quality: Mapped[float | None]
    snapshot_key: Mapped[str | None]
    person_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = _created()


class User(Base):
    """A person who signs in. Usernames are unique regardless of case."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="role"),
        Index("uq_users_username_lower", func.lower(text("username")), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str]
    password_hash: Mapped[str]
    role: Mapped[str]
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    mfa_secret: Mapped[str | None]
    mfa_enabled: Mapped[bool] = mapped_column(server_default=text("false"))
    # The newest TOTP time step (unix time // 30) accepted: codes of it or before are spent.
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # argon2 hashes of unused one-time recovery codes.
    recovery_codes: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(server_default=text("0"))
    locked_until: Mapped[datetime | None]


class AuditLog(Base):
    """Who did what, when. Append-only: the database refuses UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint(one_of("outcome", AuditOutcome), name="outcome"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor: Mapped[str | None]  # username, "system" or an API key id
    ip: Mapped[str | None]
    action: Mapped[str]
    resource: Mapped[str | None]
    outcome: Mapped[str]
    details: Mapped[dict[str, Any]] = _jsonb_object()


class Segment(Base):
    """One recorded video segment: its object key in the video-segments bucket."""

    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_camera_id_start_at", "camera_id", "start_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    camera_id: Mapped[str]
    key: Mapped[str] = mapped_column(unique=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    duration_s: Mapped[float]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _created()


class SystemState(Base):
    """Small key-value facts, e.g. {"admin_bootstrap_done": true}."""

    __tablename__ = "system_state"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = _updated()


# Tables of later stages live in their own modules; importing them here registers them on
# Base.metadata (migrations, the schema test). At the bottom: they import Base from here.
from vigil.db import (  # noqa: E402, F401
    tables_alerts,
    tables_api,
    tables_edge,
    tables_hub,
    tables_media,
    tables_persons,
    tables_rules,
    tables_vision,
)
