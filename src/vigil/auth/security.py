"""Passwords (argon2) and tokens (JWT RS256 with key ids)."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from vigil.clock import Clock
from vigil.config.base import checked_literal
from vigil.errors import AuthError

log = logging.getLogger(__name__)

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=7)
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when a username does not exist, so both paths cost the same (no
    enumeration). Made on first use, not at import: a hash costs ~50 ms and 64 MiB, and most
    importers (the CLI, workers, tests) never sign anyone in."""
    return _hasher.hash("vigil-no-such-user")


Role = Literal["admin", "operator", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "operator", "viewer")


def as_role(value: str) -> Role:
    """A role read from the database (where a CHECK constraint keeps it valid)."""
    return checked_literal(value, ROLES, "role")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password a person can type: 4 groups of 5 letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3469"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: str
    username: str
    role: Role
    token_type: Literal["access", "refresh"]
    expires_at: datetime
    jti: str
    mfa_pending: bool = False
    session_id: str | None = None  # the sign-in (refresh-token family) an access token is of


class KeyManager:
    """RS256 signing keys in `keys_dir` (created 0700, keys 0600); the newest key signs.

    Older keys stay loaded so tokens they signed verify until they expire.
    """

    def __init__(self, keys_dir: Path, clock: Clock) -> None:
        self._dir = keys_dir
        self._clock = clock
        self._private: dict[str, rsa.RSAPrivateKey] = {}
        self._current: str | None = None

    @property
    def keys_dir(self) -> Path:
        """Where the site's keys live (0700): other keys of the site go here too."""
        return self._dir

    def load_or_create(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in sorted(self._dir.glob("jwt-*.pem"), key=lambda p: p.stat().st_mtime):
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if isinstance(key, rsa.RSAPrivateKey):
                kid = self._kid(key)
                self._private[kid] = key
                self._current = kid
        if self._current is None:
            self.rotate()

    def rotate(self) -> str:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = self._kid(key)
        path = self._dir / f"jwt-{kid}.pem"
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        self._private[kid] = key
        self._current = kid
        log.info("new token signing key %s", kid)
        return kid

    @staticmethod
    def _kid(key: rsa.RSAPrivateKey) -> str:
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()[:16]

    def issue(
        self,
        user_id: str,
        username: str,
        role: Role,
        token_type: Literal["access", "refresh"],
        *,
        jti: str | None = None,
        mfa_pending: bool = False,
        session_id: str | None = None,
    ) -> tuple[str, datetime]:
        if self._current is None:
            raise RuntimeError("KeyManager.load_or_create() was not called")
        now = self._clock.now()
        expires = now + (ACCESS_TTL if token_type == "access" else REFRESH_TTL)
        payload: dict[str, Any] = {
            "sub": user_id,
            "name": username,
            "role": role,
            "typ": token_type,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": jti or secrets.token_hex(12),
        }
        if mfa_pending:
            payload["mfa_pending"] = True
        if session_id is not None:
            payload["sid"] = session_id
        token = jwt.encode(
            payload,
            self._private[self._current],
            algorithm="RS256",
            headers={"kid": self._current},
        )
        return token, expires

    def verify(self, token: str, expected_type: Literal["access", "refresh"]) -> TokenClaims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._private.get(str(kid))
            if key is None:
                raise AuthError("token signed by an unknown key; sign in again")
            claims = jwt.decode(
                token,
                key.public_key(),
                algorithms=["RS256"],
                options={"require": ["exp", "sub", "typ"], "verify_exp": False},
            )
        except jwt.PyJWTError as err:
            raise AuthError("invalid token; sign in again") from err
        # Expiry against the injected clock, not the wall clock PyJWT would read.
        if int(claims["exp"]) <= int(self._clock.now().timestamp()):
            raise AuthError("token expired; sign in again")
        if claims.get("typ") != expected_type:
            raise AuthError(f"not an {expected_type} token")
        return TokenClaims(
            user_id=str(claims["sub"]),
            username=str(claims.get("name", "")),
            role=claims.get("role", "viewer"),
            token_type=expected_type,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), self._clock.now().tzinfo),
            jti=str(claims.get("jti", "")),
            mfa_pending=bool(claims.get("mfa_pending", False)),
            session_id=str(claims["sid"]) if "sid" in claims else None,
        )
