"""Training jobs over the labelled samples."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Index,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.tables.base import (
    Base,
    one_of,
)


class JobKind(StrEnum):
    EVALUATE = "evaluate"
    EXPORT_DATASET = "export_dataset"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


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
