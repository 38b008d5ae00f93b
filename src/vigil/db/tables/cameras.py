"""The site's cameras and small key-value facts of the system."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.tables.base import (
    Base,
    RuleSource,
    created_at_column,
    one_of,
    updated_at_column,
)
from vigil.model.messages import CameraState


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
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class SystemState(Base):
    """Small key-value facts, e.g. {"admin_bootstrap_done": true}."""

    __tablename__ = "system_state"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()
