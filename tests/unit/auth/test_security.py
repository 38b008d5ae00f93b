"""Tokens: RS256 with key ids, expiry by the injected clock, type checks; argon2 passwords."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from vigil.auth.security import KeyManager, generate_password, hash_password, verify_password
from vigil.clock import FakeClock
from vigil.errors import AuthError


def test_access_token_round_trip_and_expiry(tmp_path: Path) -> None:
    clock = FakeClock()
    keys = KeyManager(tmp_path / "keys", clock)
    keys.load_or_create()
    token, _ = keys.issue("u1", "alice", "operator", "access")
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"]
    claims = keys.verify(token, "access")
    assert (claims.user_id, claims.username, claims.role) == ("u1", "alice", "operator")
    with pytest.raises(AuthError, match="not an refresh token"):
        keys.verify(token, "refresh")
    clock.advance(15 * 60 + 1)
    with pytest.raises(AuthError, match="expired"):
        keys.verify(token, "access")


def test_rotated_key_still_verifies_old_tokens_and_survives_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    keys = KeyManager(tmp_path / "keys", clock)
    keys.load_or_create()
    old, _ = keys.issue("u1", "alice", "admin", "access")
    keys.rotate()
    new, _ = keys.issue("u1", "alice", "admin", "access")
    assert jwt.get_unverified_header(old)["kid"] != jwt.get_unverified_header(new)["kid"]
    reloaded = KeyManager(tmp_path / "keys", clock)
    reloaded.load_or_create()
    assert reloaded.verify(old, "access").username == "alice"
    assert reloaded.verify(new, "access").username == "alice"
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "keys").glob("*.pem"))


def test_tampered_and_foreign_tokens_refused(tmp_path: Path) -> None:
    keys = KeyManager(tmp_path / "a", FakeClock())
    keys.load_or_create()
    other = KeyManager(tmp_path / "b", FakeClock())
    other.load_or_create()
    token, _ = other.issue("u1", "mallory", "admin", "access")
    with pytest.raises(AuthError):
        keys.verify(token, "access")
    good, _ = keys.issue("u1", "alice", "viewer", "access")
    head, body, sig = good.split(".")
    with pytest.raises(AuthError):
        keys.verify(f"{head}.{body}x.{sig}", "access")
    with pytest.raises(AuthError):
        keys.verify("not-a-token", "access")


def test_passwords() -> None:
    h = hash_password("correct horse")
    assert h.startswith("$argon2")
    assert verify_password(h, "correct horse")
    assert not verify_password(h, "wrong")
    assert not verify_password(None, "anything")
    pw = generate_password()
    assert len(pw) == 23 and pw != generate_password()


def test_no_password_is_hashed_at_import() -> None:
    """Importing the auth code costs no argon2 hash; the first unknown-user sign-in makes the
    dummy hash it verifies against, so an unknown user costs what a known one does."""
    probe = (
        "import argon2\n"
        "calls = []\n"
        "real = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda self, p, **k: calls.append(p) or real(self, p, **k)\n"
        "import vigil.auth.security as s\n"
        "assert calls == [], calls\n"
        "assert s.verify_password(None, 'guess') is False\n"
        "assert len(calls) == 1, calls\n"
        "assert s.verify_password(None, 'again') is False\n"
        "assert len(calls) == 1, calls\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
