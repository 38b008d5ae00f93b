"""Access control (issue 14): a token is only as good as its user's current state, camera
scope everywhere, one-time TOTP codes, forwarded headers, body limits, the CSP."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyotp
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy import select
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.support.api import CSRF, NOW, PASSWORDS, Api, api_for_tests
from vigil.api.app import server_config
from vigil.api.ratelimit import RateLimitConfig
from vigil.app.demo import demo_config
from vigil.config import SecurityConfig
from vigil.db.session import Database
from vigil.db.tables import Alert, Notification
from vigil.ops.health import ComponentHealth, camera_health


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


def test_the_csp_lets_the_dashboard_connect_to_its_own_host_only(api: Api) -> None:
    csp = api.client.get("/health/live").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["connect-src"] == "'self'"  # not `ws: wss:`: any host at all


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
    # Six digits, but not ASCII ones: refused (not a 500).
    r = api.client.post("/api/v1/auth/login", json={**body, "otp": "\u0663" * 6})
    assert r.status_code == 401 and "authenticator code" in r.json()["detail"]
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
            api.raise_offline_alert(camera, f"scope/{camera}")
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


# -- 2. camera scope everywhere; what a site shows without credentials ----------------------


def _scoped_guard(api: Api) -> dict[str, str]:
    """An operator who may see only the gate camera, signed in."""
    admin = api.login("admin")
    body = {
        "username": "gate.op",
        "password": "gate-operator-password",
        "role": "operator",
        "cameras": ["gate"],
    }
    assert api.client.post("/api/v1/users", headers=admin, json=body).status_code == 201
    return api.login("gate.op", "gate-operator-password")


def test_system_health_shows_a_scoped_user_only_their_cameras(api: Api) -> None:
    api.services.health.register(
        "cameras", lambda: camera_health({"gate": True, "perimeter-north": False})
    )
    api.services.health.register(
        "rules", lambda: ComponentHealth("degraded", "skipped: perimeter-north has no zone x")
    )
    admin = api.client.get("/api/v1/system/health", headers=api.login("admin")).json()
    assert admin["components"]["cameras"]["detail"] == "not online: perimeter-north"
    assert admin["status"] == "degraded"
    guard = api.client.get("/api/v1/system/health", headers=_scoped_guard(api)).json()
    assert guard["components"]["cameras"] == {"status": "ok", "detail": "1 of 1 online"}
    assert guard["components"]["rules"] == {"status": "degraded", "detail": None}
    assert "perimeter-north" not in json.dumps(guard)


def test_dead_letters_are_scoped_by_their_alerts_camera(api: Api) -> None:
    for camera in ("gate", "perimeter-north"):
        api.raise_offline_alert(camera, f"dead/{camera}")
    with api.db.session() as session:
        alerts = session.execute(select(Alert.id, Alert.camera_id)).all()
        for alert_id, camera in alerts:
            session.add(
                Notification(
                    alert_id=alert_id,
                    channel="email",
                    recipient=f"{camera}@example.com",
                    kind="alert",
                    status="dead",
                    attempts=3,
                )
            )
        session.add(  # a channel test: about no alert, so about no camera
            Notification(
                alert_id=None, channel="sms", recipient="+15550100", kind="test", status="dead"
            )
        )
        session.commit()
    everything = api.client.get("/api/v1/alerts/dead-letters", headers=api.login("olga")).json()
    assert len(everything) == 3
    scoped = api.client.get("/api/v1/alerts/dead-letters", headers=_scoped_guard(api)).json()
    assert [d["recipient"] for d in scoped] == ["gate@example.com"]


def test_metrics_need_the_metrics_token_or_an_admin(db: Database, tmp_path: Path) -> None:
    config = demo_config(8554, "pw", channels=2)
    security = config.security.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    with api_for_tests(
        db, tmp_path, config=config.model_copy(update={"security": security})
    ) as api:
        r = api.client.get("/metrics")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        wrong = api.client.get("/metrics", headers={"Authorization": "Bearer scrape-you"})
        assert wrong.status_code == 401
        scrape = api.client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert scrape.status_code == 200 and "ai_inference_duration_seconds" in scrape.text
        assert api.client.get("/metrics", headers=api.login("victor")).status_code == 403
        assert api.client.get("/metrics", headers=api.login("admin")).status_code == 200


def test_api_docs_are_off_unless_the_site_turns_them_on(api: Api) -> None:
    for path in ("/api/docs", "/api/openapi.json"):
        assert api.client.get(path).status_code == 404
        assert api.client.get(path, headers=api.login("admin")).status_code == 404


# -- 4. X-Forwarded-For is believed from configured proxies only ----------------------------

_SPOOFED = {"X-Forwarded-For": "203.0.113.9"}


@contextmanager
def _serve(api: Api) -> Iterator[int]:
    """The API on a real uvicorn server (as the runtime builds it) on loopback; its port."""
    server = uvicorn.Server(server_config(api.app, host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
            time.sleep(0.05)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


def _failed_login_ips(api: Api) -> list[str | None]:
    page = api.client.get("/api/v1/audit?action=auth.login", headers=api.login("admin")).json()
    return [e["ip"] for e in page["items"] if e["outcome"] == "failure"]


def test_a_local_caller_cannot_choose_its_address_through_uvicorn(
    db: Database, tmp_path: Path
) -> None:
    """The server as the runtime builds it, on loopback, where uvicorn by itself would believe
    X-Forwarded-For: the anonymous budget stays per real address, the audit logs the peer."""
    limits = RateLimitConfig(anonymous_per_minute=3, ip_ceiling_per_minute=1000)
    with api_for_tests(db, tmp_path, rate_limits=limits) as api:
        with _serve(api) as port:
            codes = []
            for i in range(4):  # a new forwarded address on every call
                r = httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/auth/login",
                    json={"username": "olga", "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"},
                    timeout=30,
                )
                codes.append(r.status_code)
            assert codes == [401, 401, 401, 429]
        assert set(_failed_login_ips(api)) == {"127.0.0.1"}


def test_forwarded_headers_are_believed_from_trusted_proxies(db: Database, tmp_path: Path) -> None:
    config = demo_config(8554, "pw", channels=2)
    security = config.security.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]})
    config = config.model_copy(update={"security": security})
    with api_for_tests(db, tmp_path, config=config) as api:
        bad = {"username": "olga", "password": "wrong-password"}
        proxy = TestClient(api.app, client=("127.0.0.1", 40000))
        stranger = TestClient(api.app, client=("198.51.100.7", 40000))
        assert proxy.post("/api/v1/auth/login", json=bad, headers=_SPOOFED).status_code == 401
        assert stranger.post("/api/v1/auth/login", json=bad, headers=_SPOOFED).status_code == 401
        assert sorted(_failed_login_ips(api)) == ["198.51.100.7", "203.0.113.9"]


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    problem = r"(?s)trusted_proxies.*\[1\]: 'proxy.local' is not an IP"
    with pytest.raises(ValidationError, match=problem):
        SecurityConfig(trusted_proxies=["10.0.0.0/8", "proxy.local"])


# -- 5. bodies: refused unread without credentials, and capped ------------------------------


def test_an_anonymous_body_is_refused_before_it_is_read(api: Api) -> None:
    """20 MB announced, 1 KB sent: the 401 comes at once, without waiting for the rest."""
    with _serve(api) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /api/v1/users HTTP/1.1\r\nHost: vigil\r\n"
                b"Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n" + b"[" * 1024
            )
            received = b""
            while chunk := conn.recv(65536):  # the server closes the connection after it
                received += chunk
        answer = received.decode()
    assert answer.startswith("HTTP/1.1 401"), answer
    assert "refused unread" in answer


def test_every_body_is_capped_with_per_route_caps_for_uploads(api: Api) -> None:
    admin = api.login("admin")
    big = {"username": "x" * (2 << 20), "password": "long-enough-password", "role": "viewer"}
    r = api.client.post("/api/v1/users", headers=admin, json=big)
    assert r.status_code == 413
    assert r.json()["detail"] == (
        "the request body is over the limit of 1048576 bytes for POST /api/v1/users"
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"username": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    r = api.client.post("/api/v1/users", headers=admin, content=chunks())
    assert r.status_code == 413 and "limit of 1048576 bytes" in r.json()["detail"]
    # A clip to verify may be far bigger than a JSON body; without credentials it is refused.
    clip = {"file": ("clip.mp4", b"\0" * (3 << 20), "video/mp4")}
    operator = api.login("olga")
    r = api.client.post("/api/v1/exports/verify", headers=operator, files=clip)
    assert r.status_code == 200 and r.json()["matches"] is None
    r = api.client.post("/api/v1/exports/verify", files=clip)
    assert r.status_code == 401 and "refused unread" in r.json()["detail"]
    for forged in ({"Authorization": "Bearer not-a-token"}, {"X-API-Key": "vk_abcd_forged"}):
        r = api.client.post("/api/v1/exports/verify", headers=forged, files=clip)
        assert r.status_code == 401 and "refused unread" in r.json()["detail"]
    # Sign-in needs no credentials, but its body is small.
    assert api.client.post("/api/v1/auth/login", content=b"{" * 70_000).status_code == 413
