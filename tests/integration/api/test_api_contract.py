"""The API against a real database: who may do what, and what bad requests get back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.support.api import NOW, Api, api_for_tests
from vigil.db.session import Database
from vigil.db.tables import AuditLog, Event
from vigil.model.detections import Detection
from vigil.model.incidents import Incident
from vigil.model.messages import Frame
from vigil.model.zones import Zone


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


def _incident(camera_id: str = "gate", offset_s: int = 0) -> Incident:
    when = NOW + timedelta(seconds=offset_s)
    zone = Zone("walkway", "Walkway", camera_id, ((0, 0.4), (1, 0.4), (1, 1), (0, 1)))
    image = np.zeros((108, 96, 3), np.uint8)
    return Incident(
        key=f"intrusion/{camera_id}/walkway/{when:%Y%m%dT%H%M%S}",
        rule_id="intrusion",
        rule_name="Person in the walkway",
        rule_type="zone_intrusion",
        camera_id=camera_id,
        camera_name="Main gate",
        zone=zone,
        severity="high",
        started_at=when,
        detections=(Detection("person", 0.8, (0.4, 0.5, 0.5, 0.9)),),
        frame=Frame(camera_id, when, 1, image),
    )


async def test_incident_recorded_once_whatever_the_retries(api: Api) -> None:
    incident = _incident()
    assert await api.recorder.record(incident) is True
    assert await api.recorder.record(incident) is False  # a retry or replay
    headers = api.login("admin", "admin-password")
    items = api.client.get("/api/v1/alerts", headers=headers).json()["items"]
    assert [a["id"] for a in items] == [str(incident.alert_id)]
    events = api.client.get("/api/v1/events", headers=headers).json()["items"]
    assert [e["id"] for e in events] == [str(incident.event_id)]
    snap = api.client.get(items[0]["snapshot_url"], headers=headers)
    assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"


def test_login_failures_look_the_same_and_are_audited(api: Api) -> None:
    wrong = api.client.post("/api/v1/auth/login", json={"username": "admin", "password": "nope"})
    unknown = api.client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"].startswith("invalid username or password")
    ok = api.client.post(
        "/api/v1/auth/login", json={"username": "ADMIN", "password": "admin-password"}
    )
    assert ok.status_code == 200 and ok.json()["user"]["role"] == "admin"
    assert "httponly" in ok.headers["set-cookie"].lower()
    with api.db.session() as session:
        rows = session.query(AuditLog).filter(AuditLog.action == "auth.login").all()
        outcomes = sorted(r.outcome for r in rows)
    assert outcomes == ["failure", "failure", "success"]


def test_refresh_cookie_issues_new_access_token(api: Api) -> None:
    api.login("olga", "operator-password")  # TestClient keeps the refresh cookie
    csrf = {"X-Requested-With": "vigil"}
    r = api.client.post("/api/v1/auth/refresh", headers=csrf)
    assert r.status_code == 200
    assert r.json()["user"]["username"] == "olga"
    api.client.cookies.clear()
    assert api.client.post("/api/v1/auth/refresh", headers=csrf).status_code == 401


@pytest.mark.parametrize(
    ("user", "password", "ack_status"),
    [
        ("admin", "admin-password", 200),
        ("olga", "operator-password", 200),
        ("victor", "viewer-password", 403),
    ],
)
async def test_who_may_acknowledge(api: Api, user: str, password: str, ack_status: int) -> None:
    incident = _incident()
    await api.recorder.record(incident)
    headers = api.login(user, password)
    assert api.client.get("/api/v1/alerts", headers=headers).status_code == 200
    r = api.client.post(f"/api/v1/alerts/{incident.alert_id}/ack", headers=headers)
    assert r.status_code == ack_status, r.text
    if ack_status == 403:
        assert "operator role" in r.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cameras",
        "/api/v1/alerts",
        "/api/v1/events",
        "/api/v1/system/health",
        "/api/v1/cameras/gate/snapshot",
        "/api/v1/alerts/counts",
    ],
)
def test_everything_needs_a_token(api: Api, path: str) -> None:
    r = api.client.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = api.client.get(path, headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401


def test_bad_requests_say_what_is_wrong(api: Api) -> None:
    headers = api.login("admin", "admin-password")
    r = api.client.get("/api/v1/alerts?status=open", headers=headers)
    assert r.status_code == 400 and "status: unknown value(s) open" in r.json()["detail"]
    r = api.client.get("/api/v1/alerts?cursor=garbage!", headers=headers)
    assert r.status_code == 400 and "cursor" in r.json()["detail"]
    r = api.client.get("/api/v1/alerts?limit=0", headers=headers)
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    r = api.client.post(f"/api/v1/alerts/{uuid.uuid4()}/ack", headers=headers)
    assert r.status_code == 404
    r = api.client.get("/api/v1/events/not-a-uuid", headers=headers)
    assert r.status_code == 404
    r = api.client.get("/api/v1/cameras/nope", headers=headers)
    assert r.status_code == 404 and "no camera 'nope'" in r.json()["detail"]
    r = api.client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "x": 1})
    assert r.status_code == 422 and "x" in r.json()["detail"]


async def test_pagination_walks_every_alert_once(api: Api) -> None:
    for i in range(7):
        await api.recorder.record(_incident(offset_s=i * 60))
    headers = api.login("admin", "admin-password")
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/alerts?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.client.get(url, headers=headers).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7
    counts = api.client.get("/api/v1/alerts/counts", headers=headers).json()
    assert counts == {"new": 7, "acknowledged": 0, "resolved": 0}


def test_security_headers_and_ops_endpoints(api: Api) -> None:
    r = api.client.get("/health/live")
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert api.client.get("/health/ready").status_code == 200
    metrics = api.client.get("/metrics", headers=api.login("admin")).text
    assert "ai_inference_duration_seconds" in metrics and "frames_dropped_total" in metrics
    assert api.client.get("/api/v1/nope").status_code == 404


async def test_any_stage_can_raise_and_auto_resolve_an_alert(api: Api) -> None:
    from vigil.model.messages import AlertCleared, AlertRequest

    request = AlertRequest(
        key="camera-offline/gate/20261102T180000Z",
        camera_id="gate",
        type="camera_offline",
        severity="high",
        title="Main gate is offline",
        occurred_at=NOW,
        data={"offline_since": NOW.isoformat()},
    )
    assert await api.recorder.raise_alert(request) is True
    assert await api.recorder.raise_alert(request) is False
    headers = api.login("admin", "admin-password")
    (alert,) = api.client.get("/api/v1/alerts", headers=headers).json()["items"]
    assert (alert["type"], alert["status"], alert["snapshot_url"]) == (
        "camera_offline",
        "new",
        None,
    )
    # The camera came back: the alert resolves itself, by "system".
    await api.recorder.clear(
        AlertCleared(request.key, "gate", NOW + timedelta(minutes=3), resolve=True)
    )
    resolved = api.client.get(f"/api/v1/alerts/{alert['id']}", headers=headers).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"].startswith("2026-11-02T18:03")
    # A resolved alert cannot be acknowledged any more.
    r = api.client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=headers)
    assert r.status_code == 409 and "already resolved" in r.json()["detail"]


async def test_daily_report_counts_and_response_times(api: Api) -> None:
    # Three incidents at 23:30, 23:31, 23:32 Kolkata time on 2 Nov (18:00 UTC + minutes).
    for i in range(3):
        await api.recorder.record(_incident(offset_s=60 * i))
    headers = api.login("admin")
    alerts = api.client.get("/api/v1/alerts", headers=headers).json()["items"]
    api.clock.advance(120)  # acknowledged two minutes after creation: within the goal
    api.client.post(f"/api/v1/alerts/{alerts[0]['id']}/ack", headers=headers)
    api.clock.advance(600)  # ten minutes later: outside it
    api.client.post(f"/api/v1/alerts/{alerts[1]['id']}/ack", headers=headers)
    report = api.client.get("/api/v1/reports/daily?day=2026-11-02", headers=headers).json()
    assert report["timezone"] == "Asia/Kolkata"
    assert report["events_total"] == 3 and report["events_by_camera"] == {"gate": 3}
    assert report["events_by_hour"][23] == 3 and sum(report["events_by_hour"]) == 3
    assert report["alerts_total"] == 3 and report["alerts_acknowledged"] == 2
    assert report["ack_p50_s"] in (120.0, 720.0) and report["ack_max_s"] == 720.0
    assert report["ack_within_goal_pct"] == 50.0
    empty = api.client.get("/api/v1/reports/daily?day=2026-11-03", headers=headers).json()
    assert empty["events_total"] == 0 and empty["ack_p50_s"] is None


def test_edges_go_offline_after_three_missed_beats(api: Api) -> None:
    from vigil.edge.heartbeat import Heartbeat

    monitor = api.services.edges
    assert monitor is not None
    monitor.on_beat(Heartbeat("site-12", NOW, stream_count=8, disk_free=10**11, mem_usage=41.26))
    headers = api.login("victor")
    (edge,) = api.client.get("/api/v1/system/edges", headers=headers).json()
    assert (edge["edge_id"], edge["status"], edge["streams_online"]) == ("site-12", "ONLINE", 8)
    assert edge["memory_used_percent"] == 41.3
    api.clock.advance(91)  # three 30 s beats missed
    monitor.check()
    (edge,) = api.client.get("/api/v1/system/edges", headers=headers).json()
    assert edge["status"] == "OFFLINE" and edge["last_contact"].startswith("2026-11-02T18:00:00")


async def test_events_text_filter_finds_words_and_treats_wildcards_literally(api: Api) -> None:
    gate, yard = _incident("gate"), _incident("perimeter-north", offset_s=5)
    for incident in (gate, yard):
        await api.recorder.record(incident)
    headers = api.login("admin", "admin-password")

    def found(text: str) -> list[str]:
        r = api.client.get("/api/v1/events", params={"text": text}, headers=headers)
        assert r.status_code == 200, r.text
        return sorted(e["camera_id"] for e in r.json()["items"])

    assert found("WALKWAY") == ["gate", "perimeter-north"]  # the zone, any case
    assert found("main gate") == ["gate"]  # the camera's name
    # SQL wildcards are plain characters here: neither pattern matches "walkway".
    assert found("walk%way") == [] and found("walkwa_") == []
    assert found("zone_intrusion") == ["gate", "perimeter-north"]
    assert found("no such words") == []
    r = api.client.get("/api/v1/events", params={"text": ""}, headers=headers)
    assert r.status_code == 422 and "text" in r.json()["detail"]


async def test_event_clip_link_appears_once_the_clip_exists(api: Api) -> None:
    incident = _incident()
    await api.recorder.record(incident)
    headers = api.login("admin", "admin-password")
    event = api.client.get(f"/api/v1/events/{incident.event_id}", headers=headers).json()
    assert event["clip_url"] is None
    r = api.client.get(f"/api/v1/events/{incident.event_id}/clip", headers=headers)
    assert r.status_code == 404 and "no clip" in r.json()["detail"]
    clip = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 16
    api.services.store.put_bytes("clips", "gate/event.mp4", clip)
    with api.db.session() as session:
        session.execute(
            Event.__table__.update()
            .where(Event.id == incident.event_id)
            .values(clip_key="gate/event.mp4")
        )
        session.commit()
    event = api.client.get(f"/api/v1/events/{incident.event_id}", headers=headers).json()
    assert event["clip_url"] == f"/api/v1/events/{incident.event_id}/clip"
    r = api.client.get(event["clip_url"], headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    assert r.content == clip


def test_numbers_beyond_the_database_columns_are_refused_not_500(api: Api) -> None:
    headers = api.login("admin", "admin-password")
    r = api.client.get("/api/v1/events", params={"track_id": 2**31}, headers=headers)
    assert r.status_code == 422 and "track_id" in r.json()["detail"]
    r = api.client.get("/api/v1/audit", params={"before_id": 2**63}, headers=headers)
    assert r.status_code == 422 and "before_id" in r.json()["detail"]
