"""Sign-in sessions: access tokens plus rotating refresh tokens with reuse detection.

Each sign-in starts a family of refresh tokens. A refresh uses up the presented token and
issues the next one; presenting a used token again means it was copied, so the whole family
is revoked and everybody holding it must sign in again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigil.api.security import ACCESS_TTL, KeyManager, Role, as_role
from vigil.clock import Clock
from vigil.db.models import User
from vigil.db.session import Database
from vigil.db.tables_api import RefreshToken
from vigil.errors import AuthError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in_s: int
    user_id: str
    username: str
    role: Role
    mfa_enrollment_required: bool = False


class RefreshReuseError(AuthError):
    """A refresh token was presented twice; its family is now revoked."""


class SessionService:
    def __init__(
        self, db: Database, keys: KeyManager, clock: Clock, *, require_admin_mfa: bool = False
    ) -> None:
        self._db = db
        self._keys = keys
        self._clock = clock
        self._require_admin_mfa = require_admin_mfa

    async def start(self, user: User) -> Tokens:
        return await asyncio.to_thread(self._start, user)

    def _start(self, user: User) -> Tokens:
        with self._db.session() as session:
            tokens = self._issue(session, user, uuid.uuid4())
            session.commit()
            return tokens

    def _issue(self, session: Session, user: User, family: uuid.UUID) -> Tokens:
        role = as_role(user.role)
        # An admin who has not enrolled two-factor sign-in may only enrol (policy).
        pending = self._require_admin_mfa and role == "admin" and not user.mfa_enabled
        jti = secrets.token_hex(16)
        access, _ = self._keys.issue(
            str(user.id), user.username, role, "access", mfa_pending=pending
        )
        refresh, expires = self._keys.issue(str(user.id), user.username, role, "refresh", jti=jti)
        session.add(
            RefreshToken(
                jti=jti,
                family_id=family,
                user_id=user.id,
                issued_at=self._clock.now(),
                expires_at=expires,
            )
        )
        return Tokens(
            access,
            refresh,
            int(ACCESS_TTL.total_seconds()),
            str(user.id),
            user.username,
            role,
            pending,
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        claims = self._keys.verify(refresh_token, "refresh")
        return await asyncio.to_thread(self._refresh, claims.jti)

    def _refresh(self, jti: str) -> Tokens:
        now = self._clock.now()
        with self._db.session() as session:
            row = session.execute(
                select(RefreshToken).where(RefreshToken.jti == jti).with_for_update()
            ).scalar_one_or_none()
            if row is None or row.revoked_at is not None:
                raise AuthError("session ended; sign in again")
            if row.used_at is not None:
                session.execute(
                    update(RefreshToken)
                    .where(
                        RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None)
                    )
                    .values(revoked_at=now)
                )
                session.commit()
                log.warning("refresh token reuse for user %s: session family revoked", row.user_id)
                raise RefreshReuseError(
                    "this session was used from somewhere else and has "
                    "been ended for safety; sign in again"
                )
            user = session.get(User, row.user_id)
            if user is None or not user.is_active:
                raise AuthError("account disabled; ask an administrator")
            row.used_at = now
            tokens = self._issue(session, user, row.family_id)
            session.commit()
            return tokens

    async def end(self, refresh_token: str) -> None:
        """Sign out: revoke the token's whole family. Unknown or expired tokens are ignored."""
        try:
            claims = self._keys.verify(refresh_token, "refresh")
        except AuthError:
            return
        await asyncio.to_thread(self._end, claims.jti)

    def _end(self, jti: str) -> None:
        with self._db.session() as session:
            row = session.get(RefreshToken, jti)
            if row is None:
                return
            session.execute(
                update(RefreshToken)
                .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=self._clock.now())
            )
            session.commit()
