"""ORM models added by issue 3 (recording integrity, retention, heartbeats (edge)).

Kept out of models.py so parallel work does not collide; models.py imports this module so the
tables register on `Base.metadata`. Migrations: versions/0002_edge.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, Index
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.models import Base


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
