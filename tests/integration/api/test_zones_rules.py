"""Zones, rules and schedules through the API, on a real database: CRUD, the file's items
read-only, errors worded and located as `vigil config check` words them, camera scoping, the
audit trail, and the change notices that make analytics reload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api, api_for_tests
from vigil.bus import topics
from vigil.db.session import Database
from vigil.db.tables import AlertRule, AuditLog, PerimeterZone

WHOLE = [[0, 0], [1, 0], [1, 1], [0, 1]]
ZONE = {"camera_id": "gate", "id": "driveway", "name": "Driveway", "polygon": WHOLE}
RULE: dict[str, Any] = {
    "id": "driveway-night",
    "name": "Person on the driveway at night",
    "cameras": ["gate"],
    "zones": ["driveway"],
    "schedule": "night",
}


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


@pytest.fixture
def admin(api: Api) -> dict[str, str]:
    return api.login("admin")


def _audit(api: Api, prefix: str) -> list[tuple[str, str | None, str]]:
    with api.db.session() as session:
        rows = session.query(AuditLog).filter(AuditLog.action.startswith(prefix))
        return [(r.action, r.resource, r.outcome) for r in rows.order_by(AuditLog.id)]


def test_zone_crud_is_stored_audited_and_announced(api: Api, admin: dict[str, str]) -> None:
    assert api.client.portal is not None  # the bus subscribes on the app's event loop
    changes = api.client.portal.call(api.services.bus.subscribe, topics.CONFIG_CHANGES, "test")
    created = api.client.post("/api/v1/zones", json=ZONE, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["source"] == "api" and body["defined_in"] is None
    assert body["polygon"] == WHOLE and body["criticality"] == "normal"

    listed = api.client.get("/api/v1/zones", params={"camera_id": "gate"}, headers=admin).json()
    assert [(z["id"], z["source"], z["defined_in"]) for z in listed] == [
        ("driveway", "api", None),
        ("walkway", "config", "cameras[0].zones[0]"),
    ]
    changed = {**body, "name": "Front driveway", "criticality": "critical"}
    put = api.client.put("/api/v1/zones/gate/driveway", json=changed, headers=admin)
    assert put.status_code == 200, put.text
    got = api.client.get("/api/v1/zones/gate/driveway", headers=admin).json()
    assert (got["name"], got["criticality"]) == ("Front driveway", "critical")

    assert api.client.delete("/api/v1/zones/gate/driveway", headers=admin).status_code == 200
    assert api.client.get("/api/v1/zones/gate/driveway", headers=admin).status_code == 404
    assert _audit(api, "zones.") == [
        ("zones.create", "zones/gate/driveway", "success"),
        ("zones.update", "zones/gate/driveway", "success"),
        ("zones.delete", "zones/gate/driveway", "success"),
    ]
    assert changes.pending == 3  # one reload notice per committed change


def test_rule_crud_and_validate(api: Api, admin: dict[str, str]) -> None:
    assert api.client.post("/api/v1/zones", json=ZONE, headers=admin).status_code == 201
    assert api.client.post("/api/v1/rules/validate", json=RULE, headers=admin).json() == {
        "valid": True
    }
    assert api.client.get("/api/v1/rules/driveway-night", headers=admin).status_code == 404

    created = api.client.post("/api/v1/rules", json=RULE, headers=admin)
    assert created.status_code == 201, created.text
    rule = created.json()
    # Stored with the file's defaults, exactly as site.yaml would hold it.
    assert rule["type"] == "zone_intrusion" and rule["min_frames"] == 2
    assert rule["source"] == "api" and rule["problem"] is None
    again = api.client.post("/api/v1/rules", json=RULE, headers=admin)
    assert again.status_code == 409 and "PUT /api/v1/rules/driveway-night" in again.json()["detail"]

    # A form may send back what it read: the answer's read-only fields are ignored.
    put = api.client.put(
        "/api/v1/rules/driveway-night", json={**rule, "severity": "critical"}, headers=admin
    )
    assert put.status_code == 200 and put.json()["severity"] == "critical"
    ids = [(r["id"], r["source"]) for r in api.client.get("/api/v1/rules", headers=admin).json()]
    assert ids == [("intrusion", "config"), ("driveway-night", "api")]
    with api.db.session() as session:
        row = session.get(AlertRule, "driveway-night")
        assert row is not None and row.body["severity"] == "critical"
        assert row.body["zones"] == ["driveway"] and "source" not in row.body

    assert api.client.delete("/api/v1/rules/driveway-night", headers=admin).status_code == 200
    assert [a for a, _, _ in _audit(api, "rules.")] == [
        "rules.create",
        "rules.update",
        "rules.delete",
    ]


def test_items_of_the_file_are_read_only_and_say_where(api: Api, admin: dict[str, str]) -> None:
    walkway = {**ZONE, "id": "walkway", "name": "Walkway"}
    for method, url, body in (
        ("PUT", "/api/v1/zones/gate/walkway", walkway),
        ("DELETE", "/api/v1/zones/gate/walkway", None),
        ("POST", "/api/v1/zones", walkway),
    ):
        r = api.client.request(method, url, json=body, headers=admin)
        assert r.status_code == 409, (method, url, r.text)
        assert r.json()["detail"] == (
            "zone 'walkway' on camera 'gate' is defined in site.yaml (cameras[0].zones[0]); "
            "edit the file"
        )
    rule = api.client.get("/api/v1/rules/intrusion", headers=admin).json()
    assert (rule["source"], rule["defined_in"]) == ("config", "rules[0]")
    for method, body in (("PUT", rule), ("DELETE", None)):
        r = api.client.request(method, "/api/v1/rules/intrusion", json=body, headers=admin)
        assert r.status_code == 409, r.text
        assert r.json()["detail"] == (
            "rule 'intrusion' is defined in site.yaml (rules[0]); edit the file"
        )
    assert api.client.post("/api/v1/rules", json=rule, headers=admin).status_code == 409


@pytest.mark.parametrize(
    ("url", "body", "errors"),
    [
        (
            "/api/v1/zones",
            {**ZONE, "polygon": [[0, 0], [1, 1]]},
            ["body.polygon: needs at least 3 points"],
        ),
        (
            "/api/v1/zones",
            {**ZONE, "polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]},
            ["body.polygon: is not a simple polygon (Self-intersection[0.5 0.5])"],
        ),
        (
            "/api/v1/zones",
            {**ZONE, "camera_id": "nope"},
            ["body.camera_id: unknown camera 'nope'; cameras: gate, perimeter-north"],
        ),
        (
            "/api/v1/zones",
            {**ZONE, "id": "Bad Id", "colour": "red"},
            [
                "body.id: must be lower-case letters, digits, '-' or '_' (max 63), starting "
                "with a letter or digit",
                "body.colour: unknown key (check the spelling; see the config reference)",
            ],
        ),
        (
            "/api/v1/rules",
            {**RULE, "zones": ["walkway", "pond"], "schedule": "weekends"},
            [
                "body.schedule: unknown schedule 'weekends'; defined: demo-always, night",
                "body.zones[1]: zone 'pond' is not defined on any of the rule's cameras",
            ],
        ),
        (
            "/api/v1/rules",
            {**RULE, "cameras": ["gate", "attic"], "zones": []},
            ["body.cameras[1]: unknown camera 'attic'"],
        ),
        (
            "/api/v1/rules/validate",
            {**RULE, "zones": [], "type": "line_crossing"},
            ["body.line: required for a line_crossing rule"],
        ),
        (
            "/api/v1/rules/validate",
            {**RULE, "zones": [], "min_confidence": 2, "name": "a\x00b"},
            [
                "body.name: must not contain NUL characters",
                "body.min_confidence: Input should be less than or equal to 1",
            ],
        ),
    ],
)
def test_bad_items_get_every_error_with_its_path_and_nothing_is_stored(
    api: Api, admin: dict[str, str], url: str, body: dict[str, Any], errors: list[str]
) -> None:
    r = api.client.post(url, json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert sorted(r.json()["errors"]) == sorted(errors)
    assert r.json()["detail"] == "; ".join(r.json()["errors"])
    with api.db.session() as session:
        assert session.query(PerimeterZone).filter_by(source="api").count() == 0
        assert session.query(AlertRule).filter_by(source="api").count() == 0


def test_a_zone_a_rule_names_cannot_be_deleted(api: Api, admin: dict[str, str]) -> None:
    api.client.post("/api/v1/zones", json=ZONE, headers=admin)
    api.client.post("/api/v1/rules", json=RULE, headers=admin)
    api.client.post(
        "/api/v1/rules", json={**RULE, "id": "driveway-day", "schedule": None}, headers=admin
    )
    r = api.client.delete("/api/v1/zones/gate/driveway", headers=admin)
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "zone 'driveway' on camera 'gate' is used by rule(s) 'driveway-day', "
        "'driveway-night'; change or delete them first"
    )
    for rule_id in ("driveway-day", "driveway-night"):
        api.client.delete(f"/api/v1/rules/{rule_id}", headers=admin)
    assert api.client.delete("/api/v1/zones/gate/driveway", headers=admin).status_code == 200


def test_camera_scoped_users_see_only_their_cameras(api: Api, admin: dict[str, str]) -> None:
    api.client.post("/api/v1/zones", json=ZONE, headers=admin)
    api.client.post("/api/v1/rules", json=RULE, headers=admin)
    r = api.client.post(
        "/api/v1/users",
        json={"username": "nora", "password": "north-only-pass-1", "role": "viewer",
              "cameras": ["perimeter-north"]},
        headers={**admin, "X-Requested-With": "vigil"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    nora = api.login("nora", "north-only-pass-1")
    zones = api.client.get("/api/v1/zones", headers=nora).json()
    assert {(z["camera_id"], z["id"]) for z in zones} == {("perimeter-north", "walkway")}
    assert api.client.get("/api/v1/zones/gate/driveway", headers=nora).status_code == 404
    rules = [r["id"] for r in api.client.get("/api/v1/rules", headers=nora).json()]
    assert rules == ["intrusion"]  # "*" applies to her camera; driveway-night does not
    assert api.client.get("/api/v1/rules/driveway-night", headers=nora).status_code == 404
    assert api.client.post("/api/v1/zones", json=ZONE, headers=nora).status_code == 403


def test_schedules_are_listed_as_windows(api: Api, admin: dict[str, str]) -> None:
    r = api.client.get("/api/v1/schedules", headers=api.login("victor"))
    assert r.status_code == 200
    assert r.json() == [
        {"name": "demo-always", "always": True, "windows": [], "holidays_off": False,
         "holidays_all_day": False, "timezone": "Asia/Kolkata"},
        {"name": "night", "always": False, "holidays_off": False, "holidays_all_day": False,
         "timezone": "Asia/Kolkata",
         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                      "start": "22:00", "end": "06:00"}]},
    ]  # fmt: skip
