"""ORM models added by issue 6 (API security): refresh-token families, API keys, per-camera
scoping of users. Migration: versions/0005_api.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.models import Base


class RefreshToken(Base):
    """One issued refresh token. Tokens of one sign-in form a family; presenting a token that
    was already used revokes the whole family (a stolen token is then useless)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family_id", "family_id"),)

    jti: Mapped[str] = mapped_column(primary_key=True)
    family_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ApiKey(Base):
    """A key for machines (edges, integrations). Only a SHA-256 of the secret is stored; the
    key is shown once at creation. `prefix` (the first characters) identifies it in lists."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    prefix: Mapped[str] = mapped_column(unique=True)
    key_hash: Mapped[str]
    role: Mapped[str] = mapped_column(server_default=text("'operator'"))
    created_by: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class UserCamera(Base):
    """Cameras a user may see. A user with no rows sees every camera."""

    __tablename__ = "user_cameras"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    camera_id: Mapped[str] = mapped_column(primary_key=True)
