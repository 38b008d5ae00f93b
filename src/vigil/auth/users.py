"""Users: bootstrap of the first admin, authentication with lockout and TOTP, admin CRUD."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vigil.auth.security import (
    Role,
    as_role,
    generate_password,
    hash_password,
    verify_password,
)
from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import User, UserCamera
from vigil.errors import AuthError, ConflictError, NotFoundError, VigilError

log = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_FAILED = (
    f"invalid username or password ({MAX_FAILED_LOGINS} failed attempts lock an account for "
    f"{int(LOCKOUT.total_seconds() // 60)} minutes)"
)
RECOVERY_CODES = 10


class MfaRequiredError(AuthError):
    """The password was right; the account also needs its authenticator code."""

    extra = {"mfa_required": True}


class BadRequestError(VigilError):
    status_code = 400


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    username: str
    role: Role
    is_active: bool
    mfa_enabled: bool
    cameras: list[str] | None  # None: every camera


@dataclass(frozen=True, slots=True)
class MfaEnrollment:
    secret: str
    otpauth_uri: str
    qr_svg: str


def _record(user: User, cameras: Sequence[str]) -> UserRecord:
    return UserRecord(
        str(user.id),
        user.username,
        as_role(user.role),
        user.is_active,
        user.mfa_enabled,
        sorted(cameras) or None,
    )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as err:
        raise NotFoundError(f"no user {value!r}") from err


class UserService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- first run -------------------------------------------------------------------------
    def ensure_admin(self, password: str | None) -> str | None:
        """Create the first admin when no admin exists.

        Uses `password` when given, else generates one and returns it (to be shown once).
        Returns None when an admin already exists; an existing password is never changed.
        """
        with self._db.session() as session:
            exists = session.execute(
                select(func.count()).select_from(User).where(User.role == "admin")
            ).scalar_one()
            if exists:
                return None
            generated = password is None
            secret = password if password is not None else generate_password()
            now = self._clock.now()
            session.add(
                User(
                    id=uuid.uuid4(),
                    username="admin",
                    password_hash=hash_password(secret),
                    role="admin",
                    is_active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            session.commit()
            log.info("created the first admin user 'admin'")
            return secret if generated else None

    # -- sign-in ---------------------------------------------------------------------------
    async def authenticate(self, username: str, password: str, otp: str | None = None) -> User:
        return await asyncio.to_thread(self._authenticate, username, password, otp)

    def _authenticate(self, username: str, password: str, otp: str | None) -> User:
        now = self._clock.now()
        with self._db.session() as session:
            user = session.execute(
                select(User).where(func.lower(User.username) == username.lower()).with_for_update()
            ).scalar_one_or_none()
            # Same work and same message whether or not the user exists: no enumeration.
            ok = verify_password(user.password_hash if user else None, password)
            if user is None:
                raise AuthError(LOGIN_FAILED)
            locked = user.locked_until is not None and user.locked_until > now
            if not ok or locked or not user.is_active:
                if not locked:
                    self._count_failure(user)
                session.commit()
                raise AuthError(LOGIN_FAILED)
            if user.mfa_enabled:
                if not otp:
                    raise MfaRequiredError("enter the 6-digit code from your authenticator app")
                if not self._check_second_factor(user, otp):
                    self._count_failure(user)
                    session.commit()
                    raise AuthError("wrong or expired authenticator code")
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            session.commit()
            session.refresh(user)
            session.expunge(user)
            return user

    def _count_failure(self, user: User) -> None:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = self._clock.now() + LOCKOUT
            user.failed_logins = 0
            log.warning(
                "account %s locked for %s after repeated failed sign-ins", user.username, LOCKOUT
            )

    def _check_second_factor(self, user: User, code: str) -> bool:
        code = code.strip().replace(" ", "")
        if user.mfa_secret and code.isdigit() and len(code) == 6:
            return self._accept_totp(user, code)
        for stored in list(user.recovery_codes):  # one-time codes: used up on success
            if verify_password(stored, code):
                user.recovery_codes = [c for c in user.recovery_codes if c != stored]
                log.info(
                    "recovery code used by %s (%d left)", user.username, len(user.recovery_codes)
                )
                return True
        return False

    def _accept_totp(self, user: User, code: str) -> bool:
        """Accept `code` once: it must match a time step (now, or one step either side for
        clock drift) newer than the last step accepted, which then becomes the last one.

        pyotp's `verify` says only whether a code matches, not which step it matched, so the
        steps are compared here (a code seen once is refused for the rest of its window).
        """
        if not user.mfa_secret or not (len(code) == 6 and code.isascii() and code.isdigit()):
            return False
        totp = pyotp.TOTP(user.mfa_secret)
        now_step = totp.timecode(self._clock.now())
        last = user.mfa_last_step
        for step in (now_step - 1, now_step, now_step + 1):
            if last is not None and step <= last:
                continue
            if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
                user.mfa_last_step = step
                return True
        return False

    # -- MFA enrolment -----------------------------------------------------------------------
    async def begin_mfa(self, user_id: str) -> MfaEnrollment:
        return await asyncio.to_thread(self._begin_mfa, _uuid(user_id))

    def _begin_mfa(self, user_id: uuid.UUID) -> MfaEnrollment:
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFoundError(f"no user {user_id}")
            if user.mfa_enabled:
                raise ConflictError("two-factor sign-in is already on for this account")
            secret = pyotp.random_base32()
            user.mfa_secret, user.mfa_last_step = secret, None
            session.commit()
            uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Vigil")
            svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
            return MfaEnrollment(secret, uri, svg)

    async def confirm_mfa(self, user_id: str, code: str) -> list[str]:
        """Turn MFA on once a code from the new secret checks out; returns recovery codes
        (shown once, stored hashed)."""
        return await asyncio.to_thread(self._confirm_mfa, _uuid(user_id), code)

    def _confirm_mfa(self, user_id: uuid.UUID, code: str) -> list[str]:
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None or not user.mfa_secret:
                raise BadRequestError("start enrolment first (POST /auth/mfa/enroll)")
            if user.mfa_enabled:
                raise ConflictError("two-factor sign-in is already on for this account")
            if not self._accept_totp(user, code.strip()):
                raise BadRequestError("code: wrong or expired; check the device's clock")
            codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
            user.recovery_codes = [hash_password(c) for c in codes]
            user.mfa_enabled = True
            session.commit()
            return codes

    # -- admin CRUD ----------------------------------------------------------------------
    def create(
        self, username: str, password: str, role: Role, cameras: Sequence[str] | None = None
    ) -> uuid.UUID:
        with self._db.session() as session:
            taken = session.execute(
                select(User.id).where(func.lower(User.username) == username.lower())
            ).first()
            if taken:
                raise ConflictError(f"username {username!r} is taken")
            now = self._clock.now()
            user = User(
                id=uuid.uuid4(),
                username=username,
                password_hash=hash_password(password),
                role=role,
                is_active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(user)
            session.flush()
            for camera_id in cameras or ():
                session.add(UserCamera(user_id=user.id, camera_id=camera_id))
            session.commit()
            return user.id

    async def all(self) -> list[UserRecord]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[UserRecord]:
        with self._db.session() as session:
            users = session.execute(select(User).order_by(func.lower(User.username))).scalars()
            scopes = self._scopes(session)
            return [_record(u, scopes.get(u.id, [])) for u in users]

    @staticmethod
    def _scopes(session: Session) -> dict[uuid.UUID, list[str]]:
        out: dict[uuid.UUID, list[str]] = {}
        for row in session.execute(select(UserCamera)).scalars():
            out.setdefault(row.user_id, []).append(row.camera_id)
        return out

    async def get(self, user_id: str) -> UserRecord:
        return await asyncio.to_thread(self._get, _uuid(user_id))

    def _get(self, user_id: uuid.UUID) -> UserRecord:
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFoundError(f"no user {user_id}")
            cams = (
                session.execute(select(UserCamera.camera_id).where(UserCamera.user_id == user_id))
                .scalars()
                .all()
            )
            return _record(user, list(cams))

    async def cameras_of(self, user_id: str) -> frozenset[str] | None:
        """The cameras `user_id` may see; None means all of them."""
        cameras = (await self.get(user_id)).cameras
        return frozenset(cameras) if cameras else None

    async def update(
        self,
        user_id: str,
        *,
        role: Role | None = None,
        password: str | None = None,
        is_active: bool | None = None,
        cameras: Sequence[str] | None = None,
        clear_cameras: bool = False,
        reset_mfa: bool = False,
    ) -> UserRecord:
        return await asyncio.to_thread(
            self._update,
            _uuid(user_id),
            role,
            password,
            is_active,
            cameras,
            clear_cameras,
            reset_mfa,
        )

    def _update(
        self,
        user_id: uuid.UUID,
        role: Role | None,
        password: str | None,
        is_active: bool | None,
        cameras: Sequence[str] | None,
        clear_cameras: bool,
        reset_mfa: bool,
    ) -> UserRecord:
        with self._db.session() as session:
            user = session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFoundError(f"no user {user_id}")
            demoting = (role is not None and role != "admin") or is_active is False
            if user.role == "admin" and demoting and self._admins(session) <= 1:
                raise ConflictError("this is the last active admin; make another admin first")
            if role is not None:
                user.role = role
            if password is not None:
                user.password_hash = hash_password(password)
                user.failed_logins, user.locked_until = 0, None
            if is_active is not None:
                user.is_active = is_active
            if reset_mfa:
                user.mfa_enabled, user.mfa_secret, user.recovery_codes = False, None, []
                user.mfa_last_step = None
            if cameras is not None or clear_cameras:
                session.execute(delete(UserCamera).where(UserCamera.user_id == user_id))
                for camera_id in cameras or ():
                    session.add(UserCamera(user_id=user_id, camera_id=camera_id))
            user.updated_at = self._clock.now()
            session.commit()
        return self._get(user_id)

    async def delete(self, user_id: str) -> None:
        await asyncio.to_thread(self._delete, _uuid(user_id))

    def _delete(self, user_id: uuid.UUID) -> None:
        with self._db.session() as session:
            user = session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFoundError(f"no user {user_id}")
            if user.role == "admin" and user.is_active and self._admins(session) <= 1:
                raise ConflictError("this is the last active admin; make another admin first")
            session.delete(user)
            session.commit()

    @staticmethod
    def _admins(session: Session) -> int:
        return int(
            session.execute(
                select(func.count())
                .select_from(User)
                .where(User.role == "admin", User.is_active.is_(True))
            ).scalar_one()
        )
