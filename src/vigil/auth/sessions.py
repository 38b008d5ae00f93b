"""Sign-in sessions: access tokens plus rotating refresh tokens with reuse detection.

Each sign-in starts a family of refresh tokens. A refresh uses up the presented token and
issues the next one; presenting a used token again means it was copied, so the whole family
is revoked and everybody holding it must sign in again.

An access token names its family (`sid`); `current` checks, on every request and
periodically on every open WebSocket, that the user still exists, is active, and that the
family is not revoked, and reads the user's role and cameras as they are now (a token's own
claims are only what was true when it was issued).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vigil.auth.security import ACCESS_TTL, KeyManager, Role, TokenClaims, as_role
from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import RefreshToken, User, UserCamera
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


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A signed-in user as the database has them now (not as their token remembers)."""

    user_id: str
    username: str
    role: Role
    cameras: frozenset[str] | None  # None: every camera
    mfa_pending: bool  # an admin who must enrol two-factor sign-in before anything else
    session_id: str


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
            str(user.id),
            user.username,
            role,
            "access",
            mfa_pending=pending,
            session_id=str(family),
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

    async def current(self, claims: TokenClaims) -> SignedIn:
        """The signed-in user behind a verified access token, as they are now; AuthError when
        the user is gone or disabled, or the session was ended (sign-out, refresh reuse)."""
        return await asyncio.to_thread(self._current, claims)

    def _current(self, claims: TokenClaims) -> SignedIn:
        try:
            user_id = uuid.UUID(claims.user_id)
            family = uuid.UUID(claims.session_id or "")
        except ValueError as err:  # tokens from before sessions were named: sign in again
            raise AuthError("this token names no session; sign in again") from err
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AuthError("this account no longer exists; sign in again")
            if not user.is_active:
                raise AuthError("account disabled; ask an administrator")
            # NULL: no such session for this user; true: the session was ended.
            revoked = session.execute(
                select(func.bool_or(RefreshToken.revoked_at.is_not(None))).where(
                    RefreshToken.family_id == family, RefreshToken.user_id == user_id
                )
            ).scalar_one()
            if revoked is None or revoked:
                raise AuthError("session ended; sign in again")
            cameras = (
                session.execute(select(UserCamera.camera_id).where(UserCamera.user_id == user_id))
                .scalars()
                .all()
            )
            role = as_role(user.role)
            return SignedIn(
                user_id=str(user.id),
                username=user.username,
                role=role,
                cameras=frozenset(cameras) or None,
                mfa_pending=claims.mfa_pending
                or (self._require_admin_mfa and role == "admin" and not user.mfa_enabled),
                session_id=str(family),
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
