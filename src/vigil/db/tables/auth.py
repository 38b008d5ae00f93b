"""Users and their roles, camera scopes, refresh-token families, API keys and the append-only
audit log."""

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


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


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
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
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
    details: Mapped[dict[str, Any]] = jsonb_object_column()


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
