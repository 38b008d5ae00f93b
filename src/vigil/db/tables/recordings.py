"""Recordings: the segment index, camera state changes (integrity, reconnects) and exported clips
with the SHA-256 of their file."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Identity,
    Index,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.tables.base import (
    Base,
    created_at_column,
)


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
    created_at: Mapped[datetime] = created_at_column()


class CameraStateChange(Base):
    """One change of a camera's connection state (the history behind `cameras.state`):
    what recording integrity quotes as the cause of a gap."""

    __tablename__ = "camera_state_changes"
    __table_args__ = (Index("ix_camera_state_changes_camera_id_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    camera_id: Mapped[str]
    at: Mapped[datetime]
    state: Mapped[str]
    detail: Mapped[str | None]


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


def overlapping(camera_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    """The condition "a segment of `camera_id` overlapping [start, end)": it ends after `start`
    and starts before `end`. Every reader of recordings (playback, exports, clips, integrity)
    selects by it, so they agree on which segments a time range holds."""
    return and_(Segment.camera_id == camera_id, Segment.end_at > start, Segment.start_at < end)
