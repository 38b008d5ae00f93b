"""Faces: stored embeddings of people seen, enrolled persons with their photos, and watchlists."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.tables.base import (
    Base,
    created_at_column,
    one_of,
)

#: Dimension of the stored face vectors: FaceNet's 512, or SFace's 128 followed by 384 zeros
#: (cosine unchanged); `embedding_model` says which (migration 0013).
FACE_EMBEDDING_DIM = 512


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
    created_at: Mapped[datetime] = created_at_column()


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
