"""Users: bootstrap of the first admin, authentication."""

from __future__ import annotations

import asyncio
import logging
import uuid

from sqlalchemy import func, select

from vigil.api.security import Role, generate_password, hash_password, verify_password
from vigil.clock import Clock
from vigil.db.models import User
from vigil.db.session import Database
from vigil.errors import AuthError, ConflictError

log = logging.getLogger(__name__)


class UserService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

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

    def create(self, username: str, password: str, role: Role) -> uuid.UUID:
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
            session.commit()
            return user.id

    async def authenticate(self, username: str, password: str) -> User:
        return await asyncio.to_thread(self._authenticate, username, password)

    def _authenticate(self, username: str, password: str) -> User:
        with self._db.session() as session:
            user = session.execute(
                select(User).where(func.lower(User.username) == username.lower())
            ).scalar_one_or_none()
            # Same work and same message whether or not the user exists: no enumeration.
            ok = verify_password(user.password_hash if user else None, password)
            if user is None or not ok or not user.is_active:
                raise AuthError("invalid username or password")
            user.last_login_at = self._clock.now()
            session.commit()
            session.refresh(user)
            session.expunge(user)
            return user
