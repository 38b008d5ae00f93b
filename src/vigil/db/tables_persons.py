"""ORM models added for persons, watchlists and training jobs (issue 6).

Kept out of models.py so parallel work does not collide; models.py imports this module so the
tables register on `Base.metadata`. Migrations: versions/0007_persons.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import CheckConstraint, ForeignKey, Index, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.models import FACE_EMBEDDING_DIM, Base, one_of


class JobKind(StrEnum):
    EVALUATE = "evaluate"
    EXPORT_DATASET = "export_dataset"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class WatchSeverity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Person(Base):
    """A named person enrolled from photos (their faces are in `person_faces`)."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    notes: Mapped[str | None]
    created_by: Mapped[str]  # username
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PersonFace(Base):
    """One enrolled photo of a person: its face embedding (cosine, HNSW) and the photo's key
    in the `persons` bucket. `n` numbers a person's photos from 0 in enrolment order."""

    __tablename__ = "person_faces"
    __table_args__ = (
        Index(
            "ix_person_faces_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
        Index("uq_person_faces_person_id_n", "person_id", "n", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    n: Mapped[int]
    embedding: Mapped[list[float]] = mapped_column(Vector(FACE_EMBEDDING_DIM))
    embedding_model: Mapped[str]  # the model that made `embedding` (migration 0013)
    quality: Mapped[float]
    photo_key: Mapped[str]
    filename: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Watchlist(Base):
    """Persons whose faces raise a `watchlist_match` alert on `cameras` (null: every camera)
    when a camera's face is at least `threshold` cosine-similar to an enrolled face."""

    __tablename__ = "watchlists"
    __table_args__ = (
        CheckConstraint(one_of("severity", WatchSeverity), name="severity"),
        CheckConstraint("threshold > 0 AND threshold <= 1", name="threshold"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    cameras: Mapped[list[str] | None] = mapped_column(JSONB(none_as_null=True))  # SQL NULL: all
    severity: Mapped[str]
    threshold: Mapped[float]
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    created_by: Mapped[str]  # username
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class WatchlistPerson(Base):
    __tablename__ = "watchlist_persons"
    __table_args__ = (Index("ix_watchlist_persons_person_id", "person_id"),)

    watchlist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("watchlists.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )


class TrainingJob(Base):
    """A background job over the training samples: its state, progress (0..1) and result."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        CheckConstraint(one_of("kind", JobKind), name="kind"),
        CheckConstraint(one_of("status", JobStatus), name="status"),
        Index("ix_training_jobs_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=text("'queued'"))
    progress: Mapped[float] = mapped_column(server_default=text("0"))
    params: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    error: Mapped[str | None]
    artifact_key: Mapped[str | None]
    cancel_requested: Mapped[bool] = mapped_column(server_default=text("false"))
    created_by: Mapped[str]  # username
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
