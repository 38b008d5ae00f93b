"""Access control (issue 14): a token is only as good as its user's current state, camera
scope everywhere, one-time TOTP codes, forwarded headers, body limits, the CSP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.support.api import CSRF, NOW, PASSWORDS, Api, api_for_tests
from vigil.bus.messages import AlertRequest
from vigil.db.session import Database


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


# -- 1. a token is only as good as its user's current state ---------------------------------


def _user_id(api: Api, username: str) -> str:
    admin = api.login("admin")
    users = api.client.get("/api/v1/users", headers=admin).json()
    return str(next(u["id"] for u in users if u["username"] == username))


def _patch_user(api: Api, username: str, change: dict[str, object]) -> None:
    user_id = _user_id(api, username)
    admin = api.login("admin")
    r = api.client.patch(f"/api/v1/users/{user_id}", headers=admin, json=change)
    assert r.status_code == 200, r.text


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


def _closed_with(ws: WebSocketTestSession) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:  # pings or alerts may come first
            ws.receive_json()
    return closed.value.code


def _offline_alert(api: Api, camera: str, key: str) -> None:
    request = AlertRequest(
        key=key,
        camera_id=camera,
        type="camera_offline",
        severity="high",
        title=f"{camera} offline",
        occurred_at=NOW,
    )
    asyncio.run(api.recorder.raise_alert(request))


def test_signing_out_ends_the_access_token_and_its_socket(api: Api) -> None:
    olga = api.login("olga")  # the cookie jar holds olga's refresh cookie
    with api.client.websocket_connect(f"/ws/alerts?token={_token(olga)}") as ws:
        assert api.client.get("/api/v1/cameras", headers=olga).status_code == 200
        assert api.client.post("/api/v1/auth/logout", headers=CSRF).status_code == 204
        r = api.client.get("/api/v1/cameras", headers=olga)
        assert r.status_code == 401 and "session ended" in r.json()["detail"]
        assert _closed_with(ws) == 4401
    url = f"/ws/alerts?token={_token(olga)}"
    with pytest.raises(WebSocketDisconnect) as refused, api.client.websocket_connect(url):
        pass  # and it cannot open a new one
    assert refused.value.code == 4401


def test_a_disabled_users_token_and_socket_stop_working(api: Api) -> None:
    olga = api.login("olga")
    with api.client.websocket_connect(f"/ws/alerts?token={_token(olga)}") as ws:
        _patch_user(api, "olga", {"is_active": False})
        r = api.client.get("/api/v1/cameras", headers=olga)
        assert r.status_code == 401 and "disabled" in r.json()["detail"]
        assert _closed_with(ws) == 4401


def test_a_demoted_user_loses_the_role_at_once(api: Api) -> None:
    olga = api.login("olga")
    assert api.client.get("/api/v1/alerts/dead-letters", headers=olga).status_code == 200
    _patch_user(api, "olga", {"role": "viewer"})
    r = api.client.get("/api/v1/alerts/dead-letters", headers=olga)
    assert r.status_code == 403 and "you are viewer" in r.json()["detail"]


def test_a_narrowed_camera_scope_applies_to_open_sockets(api: Api) -> None:
    victor = api.login("victor")
    with api.client.websocket_connect(f"/ws/alerts?token={_token(victor)}") as ws:
        _patch_user(api, "victor", {"cameras": ["gate"]})
        assert [c["id"] for c in api.client.get("/api/v1/cameras", headers=victor).json()] == [
            "gate"
        ]
        for camera in ("perimeter-north", "gate"):
            _offline_alert(api, camera, f"scope/{camera}")
        message = ws.receive_json()
        while message["type"] == "ping":
            message = ws.receive_json()
        assert message["alert"]["camera_id"] == "gate"  # perimeter-north was never sent


def test_refresh_reuse_ends_the_familys_access_tokens_and_sockets(api: Api) -> None:
    olga = api.login("olga")
    first_cookie = api.client.cookies.get("vigil_refresh")
    r = api.client.post("/api/v1/auth/refresh", headers=CSRF)
    assert r.status_code == 200
    rotated = {"Authorization": f"Bearer {r.json()['access_token']}"}
    with api.client.websocket_connect(f"/ws/alerts?token={_token(rotated)}") as ws:
        api.client.cookies.set("vigil_refresh", first_cookie, path="/api/v1/auth")
        assert api.client.post("/api/v1/auth/refresh", headers=CSRF).status_code == 401
        for headers in (olga, rotated):
            assert api.client.get("/api/v1/cameras", headers=headers).status_code == 401
        assert _closed_with(ws) == 4401


def test_a_deleted_users_token_gets_401_not_404(api: Api) -> None:
    victor = api.login("victor")
    victor_id = _user_id(api, "victor")
    admin = api.login("admin")
    assert api.client.delete(f"/api/v1/users/{victor_id}", headers=admin).status_code == 204
    r = api.client.get("/api/v1/users/me", headers=victor)
    assert r.status_code == 401 and "no longer exists" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"


def test_sockets_notice_changes_made_elsewhere_within_the_recheck_interval(api: Api) -> None:
    """A change this process did not make (the CLI, another API replica) reaches open sockets
    by their periodic re-check."""
    api.app.state.hub.access_recheck_s = 0.2
    olga = api.login("olga")
    olga_id = _user_id(api, "olga")
    with api.client.websocket_connect(f"/ws/alerts?token={_token(olga)}") as ws:
        asyncio.run(api.services.users.update(olga_id, is_active=False))  # not via the API
        assert _closed_with(ws) == 4401


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
