"""Hostile URLs and values answer 4xx with a clear message, never 500 (issue 14)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect

from tests.support.api import CSRF, NOW, Api, api_for_tests, assert_no_leak
from vigil.db.session import Database
from vigil.db.tables import Event


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


CONTROL_CHARACTER_URLS = [
    "/anything%00",
    "/api/v1/cameras/gate%00",  # a route parameter (reached PostgreSQL: DataError)
    "/api/v1/events/%00",
    "/api/v1/alerts/x%0Ay",
    "/api/v1/events?camera_id=gate%00",
    "/api/v1/events?camera_id=gate%1B",
    "/health/live?x=%7F",
]


def test_control_characters_in_the_url_answer_400_before_routing(api: Api) -> None:
    for headers in ({}, api.login("admin")):
        for url in CONTROL_CHARACTER_URLS:
            r = api.client.get(url, headers=headers)
            assert r.status_code == 400, (url, r.status_code, r.text)
            assert "control character" in r.json()["detail"]
            assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_control_characters_close_an_alert_socket(api: Api) -> None:
    url = "/ws/alerts%00"
    with pytest.raises(WebSocketDisconnect) as closed, api.client.websocket_connect(url):
        pass
    assert closed.value.code == 1008


EARLY = "0001-01-01T00:00:00%2B14:00"  # before year 1 in UTC
LATE = "9999-12-31T23:59:59-14:00"  # after year 9999 in UTC
FINE = "2026-11-02T12:00:00Z"
EXTREME_TIMES = [
    ("/api/v1/reports/daily?day=9999-12-31", "query.day"),
    ("/api/v1/reports/daily?day=0001-01-01", "query.day"),
    (f"/api/v1/events?start={EARLY}", "query.start"),
    (f"/api/v1/events?end={LATE}", "query.end"),
    (f"/api/v1/reports/heatmap?camera_id=gate&end={EARLY}", "query.end"),
    (f"/api/v1/reports/heatmap?camera_id=gate&start={LATE}", "query.start"),
    (f"/api/v1/recordings?camera_id=gate&start={EARLY}&end={FINE}", "query.start"),
    (f"/api/v1/recordings/gate/vod.m3u8?start={FINE}&end={LATE}", "query.end"),
]


def test_times_outside_1970_to_9998_answer_422_naming_the_parameter(api: Api) -> None:
    admin = api.login("admin")
    for url, where in EXTREME_TIMES:
        r = api.client.get(url, headers=admin)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.json()["detail"].startswith(f"{where}: "), (url, r.text)
        assert "1970-01-01 and 9998-12-31" in r.json()["detail"]
    body = {"camera_id": "gate", "start": "9999-12-31T23:00:00-14:00", "end": LATE}
    r = api.client.post("/api/v1/exports", json=body, headers={**admin, **CSRF})
    assert r.status_code == 422 and r.json()["detail"].startswith("body.start: "), r.text
    assert api.client.get("/api/v1/reports/daily?day=2026-11-02", headers=admin).status_code == 200
    r = api.client.get("/api/v1/events?start=1970-01-01T00:00:00Z", headers=admin)
    assert r.status_code == 200, r.text


def test_a_cursor_with_an_extreme_time_is_refused(api: Api) -> None:
    cursor = base64.urlsafe_b64encode(b"0001-01-01T00:00:00+14:00|x").decode().rstrip("=")
    r = api.client.get(f"/api/v1/events?cursor={cursor}", headers=api.login("admin"))
    assert r.status_code == 400 and r.json()["detail"].startswith("cursor:"), r.text


def _edge_key(api: Api) -> dict[str, str]:
    r = api.client.post(
        "/api/v1/api-keys", json={"name": "edge site-1"}, headers={**api.login("admin"), **CSRF}
    )
    assert r.status_code == 201, r.text
    return {"X-API-Key": r.json()["key"]}


def _event_batch(**event: object) -> dict[str, object]:
    body = {"id": str(uuid.uuid4()), "occurred_at": FINE.replace("%2B", "+"),
            "camera_id": "gate", "type": "zone_intrusion", "severity": "high", **event}  # fmt: skip
    item = {"seq": 1, "kind": "event", "id": "e", "enqueued_at": body["occurred_at"], "body": body}
    return {"edge_id": "site-1", "items": [item]}


def test_ingest_refuses_extreme_times(api: Api) -> None:
    edge = _edge_key(api)
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        batch = _event_batch(occurred_at=when)
        r = api.client.post("/api/v1/ingest/batch", json=batch, headers=edge)
        assert r.status_code == 422 and "occurred_at" in r.json()["detail"], r.text
        assert "1970-01-01 and 9998-12-31" in r.json()["detail"]
    r = api.client.put(
        f"/api/v1/ingest/segments/gate/x/a.mp4?camera_id=gate&start={EARLY}&end={FINE}",
        content=b"x",
        headers={**edge, "X-Content-SHA256": "0" * 64},
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("query.start: "), r.text


def test_ingest_refuses_object_keys_outside_the_key_grammar(api: Api) -> None:
    edge = _edge_key(api)
    for field, key in [
        ("snapshot_key", "gate/../../etc/passwd.jpg"),
        ("snapshot_key", "/etc/x.jpg"),
        ("snapshot_key", "gate/2026/11"),  # no .jpg: a folder of snapshots, not one
        ("snapshot_key", "perimeter-north/a.jpg"),  # another camera's
        ("snapshot_key", "gate/.hidden.jpg"),
        ("clip_key", "gate\\a.mp4"),
        ("clip_key", "gate/a.jpg"),
    ]:
        r = api.client.post("/api/v1/ingest/batch", json=_event_batch(**{field: key}), headers=edge)
        assert r.status_code == 422, (key, r.text)
        # (an absolute key is echoed by its file name only: errors carry no server paths)
        assert f"{field} " in r.json()["detail"], r.text
        assert "must be '<camera_id>/…/<name>." in r.json()["detail"], r.text
    ok = _event_batch(snapshot_key="gate/2026/11/02/e.jpg", clip_key="gate/2026/11/02/e.mp4")
    assert api.client.post("/api/v1/ingest/batch", json=ok, headers=edge).status_code == 200


def test_a_snapshot_key_naming_a_folder_or_escaping_the_store_is_404(api: Api) -> None:
    edge = _edge_key(api)
    jpeg = b"\xff\xd8\xff\xe0 not much of a JPEG"
    # A snapshot stored under gate/d.jpg/x.jpg makes gate/d.jpg a folder in the file store.
    r = api.client.put(
        "/api/v1/ingest/snapshots/gate/d.jpg/x.jpg?camera_id=gate",
        content=jpeg,
        headers={**edge, "X-Content-SHA256": hashlib.sha256(jpeg).hexdigest()},
    )
    assert r.status_code == 200, r.text
    batch = _event_batch(snapshot_key="gate/d.jpg")
    event_id = batch["items"][0]["body"]["id"]  # type: ignore[index]  # built just above
    assert api.client.post("/api/v1/ingest/batch", json=batch, headers=edge).status_code == 200
    admin = api.login("admin")
    r = api.client.get(f"/api/v1/events/{event_id}/snapshot", headers=admin)
    assert r.status_code == 404 and "no object snapshots/gate/d.jpg" in r.json()["detail"], r.text
    # A key stored before ingest checked them (or written by hand) that escapes the store.
    escaping = uuid.uuid4()
    with api.db.session() as session:
        session.add(Event(id=escaping, occurred_at=NOW, camera_id="gate", type="zone_intrusion",
                          severity="high", snapshot_key="../../../etc/passwd",
                          clip_key="gate/d.jpg"))  # fmt: skip
        session.commit()
    for what in ("snapshot", "clip"):
        r = api.client.get(f"/api/v1/events/{escaping}/{what}", headers=admin)
        assert r.status_code == 404, (what, r.status_code, r.text)


def test_error_responses_carry_no_server_paths_or_versions(api: Api) -> None:
    admin = {**api.login("admin"), **CSRF}
    jpeg = cv2.imencode(".jpg", np.full((64, 64, 3), 128, np.uint8))[1].tobytes()
    # Face search loads the face models: here (or on any box without them) a model error.
    r = api.client.post(
        "/api/v1/search/faces", files={"image": ("face.jpg", jpeg, "image/jpeg")}, headers=admin
    )
    assert r.status_code in (422, 503), r.text  # no usable face / models unavailable
    assert_no_leak(r)
    for method, url in [
        ("GET", "/api/v1/events/00000000-0000-0000-0000-000000000000/snapshot"),
        (
            "GET",
            "/api/v1/recordings?camera_id=/etc/vigil/x&start=2026-11-01T00:00:00Z&end=2026-11-02T00:00:00Z",
        ),
        ("GET", "/api/v1/cameras/nowhere"),
        ("GET", "/api/v1/reports/daily?day=0001-01-01"),
        ("GET", "/api/v1/events?start=yesterday"),
        ("GET", "/api/v1/anything%00"),
        ("POST", "/api/v1/persons"),
    ]:
        r = api.client.request(method, url, headers=admin)
        assert r.status_code >= 400, (url, r.text)
        assert_no_leak(r)
