"""Security of the API: sessions, lockout, two-factor sign-in, scoping, keys, CSRF, limits."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.api import CSRF, NOW, PASSWORDS, Api, api_for_tests
from vigil.api.ratelimit import RateLimitConfig
from vigil.db.session import Database


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


def _gate_guard(api: Api) -> dict[str, str]:
    """A viewer who may see only the gate camera, signed in."""
    admin = api.login("admin")
    r = api.client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "gate.guard",
            "password": "gate-guard-password",
            "role": "viewer",
            "cameras": ["gate"],
        },
    )
    assert r.status_code == 201, r.text
    return api.login("gate.guard", "gate-guard-password")


def _refresh(api: Api) -> int:
    return api.client.post("/api/v1/auth/refresh", headers=CSRF).status_code


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    api.login("olga")
    first_cookie = api.client.cookies.get("vigil_refresh")
    assert _refresh(api) == 200
    second_cookie = api.client.cookies.get("vigil_refresh")
    assert second_cookie != first_cookie
    # Someone replays the first (already used) cookie: the whole session is ended.
    api.client.cookies.set("vigil_refresh", first_cookie, path="/api/v1/auth")
    r = api.client.post("/api/v1/auth/refresh", headers=CSRF)
    assert r.status_code == 401 and "used from somewhere else" in r.json()["detail"]
    api.client.cookies.set("vigil_refresh", second_cookie, path="/api/v1/auth")
    assert _refresh(api) == 401  # the legitimate holder must sign in again too


def test_logout_ends_the_session(api: Api) -> None:
    api.login("olga")
    cookie = api.client.cookies.get("vigil_refresh")
    assert api.client.post("/api/v1/auth/logout", headers=CSRF).status_code == 204
    api.client.cookies.set("vigil_refresh", cookie, path="/api/v1/auth")
    assert _refresh(api) == 401


def test_cookie_calls_need_the_csrf_header(api: Api) -> None:
    api.login("olga")
    r = api.client.post("/api/v1/auth/refresh")
    assert r.status_code == 403 and "X-Requested-With" in r.json()["detail"]
    assert api.client.post("/api/v1/auth/logout").status_code == 403


def test_refresh_notices_a_disabled_account(api: Api) -> None:
    api.login("olga")
    admin = api.login("admin")
    olga = next(
        u for u in api.client.get("/api/v1/users", headers=admin).json() if u["username"] == "olga"
    )
    api.client.patch(f"/api/v1/users/{olga['id']}", headers=admin, json={"is_active": False})
    api.login("admin")  # replaces the cookie jar's session with admin's
    assert _refresh(api) == 200  # admin's session is fine


def test_lockout_after_five_failures_then_release(api: Api) -> None:
    bad = {"username": "olga", "password": "wrong-password"}
    for _ in range(5):
        assert api.client.post("/api/v1/auth/login", json=bad).status_code == 401
    good = {"username": "olga", "password": PASSWORDS["olga"]}
    locked = api.client.post("/api/v1/auth/login", json=good)
    assert locked.status_code == 401  # even the right password, while locked
    assert "lock an account for 15 minutes" in locked.json()["detail"]
    api.clock.advance(15 * 60 + 1)
    assert api.client.post("/api/v1/auth/login", json=good).status_code == 200


def test_two_factor_enrolment_and_sign_in(api: Api) -> None:
    admin = api.login("admin")
    enrol = api.client.post("/api/v1/auth/mfa/enroll", headers=admin).json()
    assert enrol["otpauth_uri"].startswith("otpauth://totp/Vigil:admin")
    assert enrol["qr_svg"].startswith("<svg")
    totp = pyotp.TOTP(enrol["secret"])
    r = api.client.post("/api/v1/auth/mfa/confirm", headers=admin, json={"code": "000000"})
    assert r.status_code == 400
    r = api.client.post("/api/v1/auth/mfa/confirm", headers=admin, json={"code": totp.at(NOW)})
    assert r.status_code == 200
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10

    body = {"username": "admin", "password": PASSWORDS["admin"]}
    r = api.client.post("/api/v1/auth/login", json=body)
    assert r.status_code == 401 and r.json()["mfa_required"] is True
    r = api.client.post("/api/v1/auth/login", json={**body, "otp": "123456"})
    assert r.status_code == 401 and "authenticator code" in r.json()["detail"]
    api.clock.advance(30)  # the code that confirmed enrolment is spent: the next one
    api.login("admin", otp=totp.at(api.clock.now()))
    api.login("admin", otp=codes[0])  # a recovery code works once
    r = api.client.post("/api/v1/auth/login", json={**body, "otp": codes[0]})
    assert r.status_code == 401


def test_camera_scope_hides_other_cameras_everywhere(api: Api) -> None:
    for camera in ("gate", "perimeter-north"):
        api.raise_offline_alert(camera, f"test/{camera}")
    admin = api.login("admin")
    guard = _gate_guard(api)
    assert [c["id"] for c in api.client.get("/api/v1/cameras", headers=guard).json()] == ["gate"]
    assert api.client.get("/api/v1/cameras/perimeter-north", headers=guard).status_code == 404
    events = api.client.get("/api/v1/events", headers=guard).json()["items"]
    assert {e["camera_id"] for e in events} == {"gate"}
    alerts = api.client.get("/api/v1/alerts", headers=guard).json()["items"]
    assert {a["camera_id"] for a in alerts} == {"gate"}
    assert api.client.get("/api/v1/alerts/counts", headers=guard).json()["new"] == 1
    hidden = next(
        a
        for a in api.client.get("/api/v1/alerts", headers=admin).json()["items"]
        if a["camera_id"] == "perimeter-north"
    )
    assert api.client.get(f"/api/v1/alerts/{hidden['id']}", headers=guard).status_code == 404
    all_events = api.client.get("/api/v1/events", headers=admin).json()["items"]
    other = next(e for e in all_events if e["camera_id"] == "perimeter-north")
    assert api.client.get(f"/api/v1/events/{other['id']}", headers=guard).status_code == 404
    r = api.client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "x.y",
            "password": "long-enough-password",
            "role": "viewer",
            "cameras": ["moon"],
        },
    )
    assert r.status_code == 422 and "cameras[0]: unknown camera 'moon'" in r.json()["detail"]


def test_last_admin_cannot_be_removed(api: Api) -> None:
    admin = api.login("admin")
    me = api.client.get("/api/v1/users/me", headers=admin).json()
    r = api.client.patch(f"/api/v1/users/{me['id']}", headers=admin, json={"role": "viewer"})
    assert r.status_code == 409 and "last active admin" in r.json()["detail"]
    assert api.client.delete(f"/api/v1/users/{me['id']}", headers=admin).status_code == 409


def test_api_keys_shown_once_work_and_revoke(api: Api) -> None:
    admin = api.login("admin")
    r = api.client.post("/api/v1/api-keys", headers=admin, json={"name": "edge site-12"})
    assert r.status_code == 201
    created = r.json()
    key = created["key"]
    listed = api.client.get("/api/v1/api-keys", headers=admin).json()
    assert "key" not in listed[0] and key not in json.dumps(listed)
    r = api.client.get("/api/v1/cameras", headers={"X-API-Key": key})
    assert r.status_code == 200
    r = api.client.get("/api/v1/cameras", headers={"Authorization": f"ApiKey {key}"})
    assert r.status_code == 200
    assert api.client.get("/api/v1/cameras", headers={"X-API-Key": key + "x"}).status_code == 401
    api.client.delete(f"/api/v1/api-keys/{created['id']}", headers=admin)
    r = api.client.get("/api/v1/cameras", headers={"X-API-Key": key})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    viewer = api.login("victor")
    assert (
        api.client.post("/api/v1/api-keys", headers=viewer, json={"name": "x"}).status_code == 403
    )


def test_audit_log_is_queryable_by_admins_only(api: Api) -> None:
    api.client.post("/api/v1/auth/login", json={"username": "olga", "password": "nope"})
    admin = api.login("admin")
    page = api.client.get("/api/v1/audit?action=auth.login", headers=admin).json()
    outcomes = [(e["actor"], e["outcome"]) for e in page["items"]]
    assert ("olga", "failure") in outcomes and ("admin", "success") in outcomes
    viewer = api.login("victor")
    assert api.client.get("/api/v1/audit", headers=viewer).status_code == 403


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_forged_tokens_are_refused(api: Api) -> None:
    claims = {
        "sub": "x",
        "name": "admin",
        "role": "admin",
        "typ": "access",
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    none_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    pem = (
        next(iter(api.services.keys._private.values()))
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    kid = next(iter(api.services.keys._private))
    # HS256 signed with the public key, the classic algorithm-confusion attack.
    confused = _hs256(claims, pem, kid)
    for token in (none_token, confused):
        r = api.client.get("/api/v1/cameras", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def _hs256(claims: dict[str, object], key: bytes, kid: str) -> str:
    import hashlib
    import hmac

    head = _b64({"alg": "HS256", "typ": "JWT", "kid": kid})
    body = _b64(claims)
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(sig).decode().rstrip('=')}"


def test_rate_limits_answer_429_with_retry_after(db: Database, tmp_path: Path) -> None:
    limits = RateLimitConfig(
        anonymous_per_minute=5,
        api_key_per_minute=1000,
        user_per_minute=8,
        ip_ceiling_per_minute=1000,
    )
    with api_for_tests(db, tmp_path, rate_limits=limits) as api:
        # A signed-in session has its own budget (signing in is one anonymous call).
        headers = api.login("olga")
        statuses = [
            api.client.get("/api/v1/cameras", headers=headers).status_code for _ in range(9)
        ]
        assert statuses == [200] * 8 + [429]
        codes = [api.client.get("/api/v1/cameras").status_code for _ in range(5)]
        assert codes == [401] * 4 + [429]
        r = api.client.get("/api/v1/cameras")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert "5 per minute" in r.json()["detail"]


def test_an_edge_key_catching_up_on_ingest_has_its_own_larger_budget(
    db: Database, tmp_path: Path
) -> None:
    """An edge replaying an outage sends a request per segment: /ingest counts apart from the
    key's general budget (counted before the key is checked, so any key string counts)."""
    limits = RateLimitConfig(api_key_per_minute=3, ingest_per_minute=6, ip_ceiling_per_minute=1000)
    key = {"X-API-Key": "vk_edge0001_notarealsecret"}
    with api_for_tests(db, tmp_path, rate_limits=limits) as api:
        ingest = [
            api.client.post("/api/v1/ingest/batch", headers=key, json={}).status_code
            for _ in range(7)
        ]
        assert 429 not in ingest[:6] and ingest[6] == 429
        r = api.client.post("/api/v1/ingest/batch", headers=key, json={})
        assert "6 per minute (per edge API key sending to /ingest)" in r.json()["detail"]
        general = [api.client.get("/api/v1/cameras", headers=key).status_code for _ in range(4)]
        assert 429 not in general[:3] and general[3] == 429


def test_admins_must_enrol_two_factor_first(db: Database, tmp_path: Path) -> None:
    with api_for_tests(db, tmp_path, require_admin_mfa=True) as api:
        r = api.client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": PASSWORDS["admin"]}
        )
        assert r.status_code == 200 and r.json()["mfa_enrollment_required"] is True
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = api.client.get("/api/v1/cameras", headers=admin)
        assert r.status_code == 403 and r.json()["mfa_enrollment_required"] is True
        assert api.client.get("/api/v1/users/me", headers=admin).status_code == 200
        secret = api.client.post("/api/v1/auth/mfa/enroll", headers=admin).json()["secret"]
        code = pyotp.TOTP(secret).at(NOW)
        assert (
            api.client.post(
                "/api/v1/auth/mfa/confirm", headers=admin, json={"code": code}
            ).status_code
            == 200
        )
        refreshed = api.client.post("/api/v1/auth/refresh", headers=CSRF).json()
        assert refreshed["mfa_enrollment_required"] is False
        full = {"Authorization": f"Bearer {refreshed['access_token']}"}
        assert api.client.get("/api/v1/cameras", headers=full).status_code == 200
        # Operators and viewers are not asked.
        r = api.client.post(
            "/api/v1/auth/login", json={"username": "olga", "password": PASSWORDS["olga"]}
        )
        assert r.json()["mfa_enrollment_required"] is False


def test_uploads_are_judged_by_content_and_size(api: Api) -> None:
    operator = api.login("olga")
    messi = Path("/usr/share/doc/opencv-doc/examples/data/messi5.jpg").read_bytes()
    labels = json.dumps([{"class": "person", "bbox": [0.1, 0.2, 0.3, 0.9]}])
    r = api.client.post(
        "/api/v1/training/upload",
        headers=operator,
        files={"file": ("anything.png", messi, "image/png")},
        data={"labels": labels, "note": "missed at dusk"},
    )
    assert r.status_code == 201, r.text
    sample = r.json()
    assert sample["meta"]["format"] == "jpeg" and sample["meta"]["width"] == 548
    assert sample["meta"]["labels"][0]["class"] == "person"
    listed = api.client.get("/api/v1/training/samples", headers=operator).json()
    assert [s["key"] for s in listed] == [sample["key"]]
    # A script named like a picture, a bomb-shaped header, bad labels: all refused clearly.
    r = api.client.post(
        "/api/v1/training/upload",
        headers=operator,
        files={"file": ("cat.jpg", b"#!/bin/sh\nrm -rf /\n", "image/jpeg")},
    )
    assert r.status_code == 415 and "by its content" in r.json()["detail"]
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    r = api.client.post(
        "/api/v1/training/upload", headers=operator, files={"file": ("big.png", bomb, "image/png")}
    )
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    r = api.client.post(
        "/api/v1/training/upload",
        headers=operator,
        files={"file": ("m.jpg", messi, "image/jpeg")},
        data={"labels": json.dumps([{"class": "person", "bbox": [0.5, 0, 0.2, 1]}])},
    )
    assert r.status_code == 400 and "labels[0].bbox" in r.json()["detail"]
    viewer = api.login("victor")
    r = api.client.post(
        "/api/v1/training/upload", headers=viewer, files={"file": ("m.jpg", messi, "image/jpeg")}
    )
    assert r.status_code == 403


def test_alert_socket_only_carries_the_users_cameras(api: Api) -> None:
    token = _gate_guard(api)["Authorization"].split()[1]
    with api.client.websocket_connect(f"/ws/alerts?token={token}") as ws:
        for camera in ("perimeter-north", "gate"):
            api.raise_offline_alert(camera, f"ws/{camera}")
        message = ws.receive_json()
        assert message["type"] == "alert.created"
        assert message["alert"]["camera_id"] == "gate"  # perimeter-north was never sent
