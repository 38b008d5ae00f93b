"""API keys for machines (edges, integrations): shown once, stored as SHA-256, revocable.

Keys look like `vgl_<prefix>_<secret>`; the prefix finds the row, the secret is compared in
constant time. High-entropy random keys need no slow hash (unlike passwords).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from vigil.auth.security import Role, as_role
from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import ApiKey
from vigil.errors import AuthError, NotFoundError

_PREFIX = "vgl_"


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    name: str
    prefix: str
    role: Role
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiKeyIdentity:
    key_id: str
    name: str
    role: Role


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        str(row.id),
        row.name,
        row.prefix,
        as_role(row.role),
        row.created_by,
        row.created_at,
        row.last_used_at,
        row.revoked_at,
    )


class ApiKeyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(self, name: str, role: Role, created_by: str) -> tuple[ApiKeyRecord, str]:
        """Returns the record and the full key, which is never shown again."""
        return await asyncio.to_thread(self._create, name, role, created_by)

    def _create(self, name: str, role: Role, created_by: str) -> tuple[ApiKeyRecord, str]:
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        with self._db.session() as session:
            row = ApiKey(
                id=uuid.uuid4(),
                name=name,
                prefix=prefix,
                key_hash=_digest(secret),
                role=role,
                created_by=created_by,
                created_at=self._clock.now(),
            )
            session.add(row)
            session.commit()
            return _record(row), f"{_PREFIX}{prefix}_{secret}"

    async def all(self) -> list[ApiKeyRecord]:
        return await asyncio.to_thread(self._all)

    def _all(self) -> list[ApiKeyRecord]:
        with self._db.session() as session:
            rows = session.execute(select(ApiKey).order_by(ApiKey.created_at)).scalars()
            return [_record(r) for r in rows]

    async def revoke(self, key_id: str) -> ApiKeyRecord:
        return await asyncio.to_thread(self._revoke, key_id)

    def _revoke(self, key_id: str) -> ApiKeyRecord:
        try:
            kid = uuid.UUID(key_id)
        except ValueError as err:
            raise NotFoundError(f"no API key {key_id!r}") from err
        with self._db.session() as session:
            row = session.get(ApiKey, kid)
            if row is None:
                raise NotFoundError(f"no API key {key_id}")
            if row.revoked_at is None:
                row.revoked_at = self._clock.now()
                session.commit()
            return _record(row)

    async def authenticate(self, key: str) -> ApiKeyIdentity:
        return await asyncio.to_thread(self._authenticate, key)

    def _authenticate(self, key: str) -> ApiKeyIdentity:
        invalid = AuthError("invalid or revoked API key")
        if not key.startswith(_PREFIX) or key.count("_") < 2:
            raise invalid
        prefix, _, secret = key[len(_PREFIX) :].partition("_")
        with self._db.session() as session:
            row = session.execute(
                select(ApiKey).where(ApiKey.prefix == prefix)
            ).scalar_one_or_none()
            expected = row.key_hash if row else _digest("vigil-no-such-key")
            matches = hmac.compare_digest(expected, _digest(secret))
            if row is None or not matches or row.revoked_at is not None:
                raise invalid
            row.last_used_at = self._clock.now()
            session.commit()
            return ApiKeyIdentity(str(row.id), row.name, as_role(row.role))
