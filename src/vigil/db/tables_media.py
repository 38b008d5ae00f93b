"""ORM models added by issue 7 (video): exported clips with the SHA-256 of their file.

Kept out of models.py so parallel work does not collide; models.py imports this module so the
tables register on `Base.metadata`. Migration: versions/0008_media.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.models import Base


class ClipExport(Base):
    """One clip a user exported: [start_at, end_at) of a camera, cut by stream copy into an
    MP4 in the `clips` bucket. `sha256` (hex) of the stored file proves later that a copy is
    unaltered. `status`: pending -> ready | failed (`error` says why)."""

    __tablename__ = "clip_exports"
    __table_args__ = (
        Index("ix_clip_exports_sha256", "sha256"),
        Index("ix_clip_exports_created_by_created_at", "created_by", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[str]
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[str]
    created_by: Mapped[str]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    object_key: Mapped[str | None]
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None]
    error: Mapped[str | None]
