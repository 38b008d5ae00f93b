"""Access control (issue 14): a token is only as good as its user's current state, camera
scope everywhere, one-time TOTP codes, forwarded headers, body limits, the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from tests.support.api import NOW, PASSWORDS, Api, api_for_tests
from vigil.db.session import Database


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


# -- 3. a TOTP code signs in once ----------------------------------------------------------


def _enrol_admin_totp(api: Api) -> tuple[pyotp.TOTP, dict[str, str]]:
    admin = api.login("admin")
    secret = api.client.post("/api/v1/auth/mfa/enroll", headers=admin).json()["secret"]
    totp = pyotp.TOTP(secret)
    confirm = {"code": totp.at(NOW)}
    r = api.client.post("/api/v1/auth/mfa/confirm", headers=admin, json=confirm)
    assert r.status_code == 200, r.text
    return totp, admin


def test_a_totp_code_signs_in_once(api: Api) -> None:
    totp, _ = _enrol_admin_totp(api)
    body = {"username": "admin", "password": PASSWORDS["admin"]}
    # The code that confirmed enrolment is spent already.
    r = api.client.post("/api/v1/auth/login", json={**body, "otp": totp.at(NOW)})
    assert r.status_code == 401 and "authenticator code" in r.json()["detail"]
    api.clock.advance(30)
    code = totp.at(api.clock.now())
    assert api.client.post("/api/v1/auth/login", json={**body, "otp": code}).status_code == 200
    # Replayed within its window (it stays valid for a step either side): refused.
    api.clock.advance(20)
    r = api.client.post("/api/v1/auth/login", json={**body, "otp": code})
    assert r.status_code == 401 and "authenticator code" in r.json()["detail"]
    # An older code, still inside the drift window, is refused too; the next step's works.
    api.clock.advance(15)
    assert api.client.post("/api/v1/auth/login", json={**body, "otp": code}).status_code == 401
    fresh = totp.at(api.clock.now())
    assert api.client.post("/api/v1/auth/login", json={**body, "otp": fresh}).status_code == 200


# -- 6. the CSP ----------------------------------------------------------------------------


def test_the_csp_lets_the_dashboard_connect_to_its_own_host_only(api: Api) -> None:
    csp = api.client.get("/health/live").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["connect-src"] == "'self'"  # not `ws: wss:`: any host at all
