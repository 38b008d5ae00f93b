"""Testing a camera connection through the API against the simulated DVR: a channel with the
site's credentials, an RTSP URL, a configured camera; wrong passwords never echoed, bad
channels and non-RTSP URLs refused with the field named, every probe audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api, api_for_tests
from tests.support.site import SIM_PASSWORD, Simulator
from vigil.app.demo import demo_config, free_port
from vigil.db.session import Database
from vigil.db.tables import AuditLog
from vigil.dvr.cpplus import build_rtsp_url

WRONG = "Wr0ng-Secret-77"


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    sim = Simulator(free_port(0), channels=2)
    sim.start()
    yield sim
    sim.kill()


@pytest.fixture
def api(db: Database, tmp_path: Path, simulator: Simulator) -> Iterator[Api]:
    config = demo_config(simulator.port, SIM_PASSWORD, channels=2)
    with api_for_tests(db, tmp_path, config=config) as built:
        yield built


@pytest.fixture
def admin(api: Api) -> dict[str, str]:
    return api.login("admin")


def _audit(api: Api) -> list[tuple[str | None, str, object]]:
    with api.db.session() as session:
        rows = session.query(AuditLog).filter(AuditLog.action == "cameras.test")
        return [(r.resource, r.outcome, r.details) for r in rows.order_by(AuditLog.id)]


def _sim_port(api: Api) -> int:
    return api.services.config.dvr.rtsp_port


def test_a_dvr_channel_and_a_configured_camera_report_what_they_send(
    api: Api, admin: dict[str, str]
) -> None:
    r = api.client.post("/api/v1/cameras/test", json={"channel": 2, "stream": 0}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["auth_failed"] is False
    assert (body["codec"], body["width"], body["height"]) == ("h264", 960, 1080)
    assert body["fps"] and body["fps"] > 0
    assert "channel=2" in body["target"] and "password=***" in body["target"]
    assert SIM_PASSWORD not in r.text

    r = api.client.post("/api/v1/cameras/gate/test", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True and r.json()["width"] == 960
    assert api.client.post("/api/v1/cameras/nowhere/test", headers=admin).status_code == 404

    audit = _audit(api)
    assert [(res, outcome) for res, outcome, _ in audit] == [
        ("cameras/test/channel/2", "success"),
        ("cameras/gate", "success"),
    ]
    assert SIM_PASSWORD not in repr(audit)


def test_a_wrong_password_is_reported_but_never_echoed(api: Api, admin: dict[str, str]) -> None:
    url = build_rtsp_url("127.0.0.1", 1, 0, username="admin", password=WRONG, port=_sim_port(api))
    r = api.client.post("/api/v1/cameras/test", json={"url": url}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False and body["auth_failed"] is True
    assert "refused the credentials for user 'admin'" in body["detail"]
    assert body["codec"] is None and body["width"] is None
    assert WRONG not in r.text and SIM_PASSWORD not in r.text

    # A password in the URL's userinfo, to a port where nothing listens.
    userinfo = f"rtsp://admin:{WRONG}@127.0.0.1:{free_port(0)}/live"
    r = api.client.post("/api/v1/cameras/test", json={"url": userinfo}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is False and "connection refused" in r.json()["detail"]
    assert WRONG not in r.text
    audit = _audit(api)
    assert [outcome for _, outcome, _ in audit] == ["failure", "failure"]
    assert WRONG not in repr(audit)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"channel": 3}, "body.channel: the DVR has 2 channel(s) (dvr.channels); got 3"),
        ({"channel": 0}, "body.channel: Input should be greater than or equal to 1"),
        ({"channel": 1, "stream": 2}, "body.stream: "),
        ({"url": "http://cam.example/video"}, "body.url: must be an rtsp:// or rtsps:// URL"),
        ({"url": "rtsp:///path"}, "body.url: has no host"),
        ({"url": "rtsp://cam\n.example/x"}, "body.url: must not contain control characters"),
        ({}, "give either channel (a DVR channel) or url (an RTSP URL), not both"),
        ({"channel": 1, "url": "rtsp://cam/x"}, "give either channel"),
        ({"channel": 1, "host": "10.0.0.1"}, "body.host: unknown key"),
    ],
)
def test_bad_requests_name_the_field(
    api: Api, admin: dict[str, str], body: dict[str, object], expected: str
) -> None:
    r = api.client.post("/api/v1/cameras/test", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert expected in r.json()["detail"]
    assert _audit(api) == []  # refused before probing: nothing was tested


def test_only_admins_test_connections_and_only_in_their_scope(api: Api) -> None:
    operator = api.login("olga")
    r = api.client.post("/api/v1/cameras/test", json={"channel": 1}, headers=operator)
    assert r.status_code == 403
    assert api.client.post("/api/v1/cameras/gate/test", headers=operator).status_code == 403

    api.services.users.create("gatekeeper", "gatekeeper-password", "admin", cameras=["gate"])
    scoped = api.login("gatekeeper", "gatekeeper-password")
    r = api.client.post("/api/v1/cameras/test", json={"channel": 2}, headers=scoped)
    assert r.status_code == 404, r.text
    assert r.json()["detail"] == "channel 2 belongs to a camera outside your scope"
    r = api.client.post("/api/v1/cameras/perimeter-north/test", headers=scoped)
    assert r.status_code == 404
    r = api.client.post("/api/v1/cameras/test", json={"channel": 1}, headers=scoped)
    assert r.status_code == 200 and r.json()["ok"] is True


def test_camera_list_says_stream_and_source(api: Api, admin: dict[str, str]) -> None:
    cams = api.client.get("/api/v1/cameras", headers=admin).json()
    assert [(c["id"], c["channel"], c["stream"], c["own_url"], c["source"]) for c in cams] == [
        ("gate", 1, 0, False, "config"),
        ("perimeter-north", 2, 0, False, "config"),
    ]
