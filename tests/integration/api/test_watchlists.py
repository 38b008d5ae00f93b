"""`/api/v1/watchlists`: create, read, replace, delete; persons and cameras are checked and
named when wrong; the threshold defaults to the site's; camera-scoped users see only theirs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.api import CSRF, Api, api_for_tests
from vigil.db.session import Database
from vigil.db.tables import AuditLog, Person


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        built.services.users.create("gina", "gate-operator-pw", "operator", ["gate"])
        yield built


def _person(db: Database, name: str) -> str:
    """A person row (enrolment with photos is tested in test_persons.py)."""
    with db.session() as session:
        person = Person(id=uuid.uuid4(), name=name, created_by="admin")
        session.add(person)
        session.commit()
        return str(person.id)


def test_create_read_replace_delete(api: Api, db: Database) -> None:
    admin = {**api.login("admin"), **CSRF}
    olga = api.login("olga")
    eileen, leo = _person(db, "Eileen"), _person(db, "Leo")
    r = api.client.post(
        "/api/v1/watchlists",
        json={"name": "Banned", "person_ids": [eileen, eileen], "cameras": ["gate"]},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["person_ids"] == [eileen] and made["cameras"] == ["gate"]
    assert made["severity"] == "high" and made["enabled"] is True
    assert made["threshold"] == 0.4  # detection.faces.match_threshold
    wid = made["id"]
    assert api.client.get(f"/api/v1/watchlists/{wid}", headers=olga).json() == made
    person = api.client.get(f"/api/v1/persons/{eileen}", headers=olga).json()
    assert person["watchlists"] == [{"id": wid, "name": "Banned"}]

    r = api.client.put(
        f"/api/v1/watchlists/{wid}",
        json={
            "name": "Banned",
            "person_ids": [leo],
            "cameras": "*",
            "severity": "critical",
            "threshold": 0.7,
            "enabled": False,
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["person_ids"] == [leo] and changed["cameras"] == "*"
    assert (changed["severity"], changed["threshold"], changed["enabled"]) == (
        "critical",
        0.7,
        False,
    )
    assert [w["id"] for w in api.client.get("/api/v1/watchlists", headers=olga).json()] == [wid]

    # Deleting a person takes them off the watchlist; deleting the watchlist keeps persons.
    assert api.client.delete(f"/api/v1/persons/{leo}", headers=admin).status_code == 204
    assert api.client.get(f"/api/v1/watchlists/{wid}", headers=olga).json()["person_ids"] == []
    assert api.client.delete(f"/api/v1/watchlists/{wid}", headers=admin).status_code == 204
    assert api.client.get(f"/api/v1/watchlists/{wid}", headers=olga).status_code == 404
    assert api.client.get(f"/api/v1/persons/{eileen}", headers=olga).json()["watchlists"] == []
    with db.session() as session:
        actions = session.scalars(
            select(AuditLog.action)
            .where(AuditLog.action.like("watchlists.%"))
            .order_by(AuditLog.id)
        ).all()
    assert actions == ["watchlists.create", "watchlists.update", "watchlists.delete"]


BAD = [  # body, words the 422 detail must contain
    ({"name": "x", "cameras": ["gate", "roof"]}, "cameras[1]: unknown camera 'roof'"),
    ({"name": "x", "person_ids": [str(uuid.UUID(int=7))]}, "person_ids[0]: no enrolled"),
    ({"name": "x", "threshold": 1.5}, "threshold"),
    ({"name": "x", "severity": "urgent"}, "severity"),
    ({"name": "", "cameras": "*"}, "name"),
    ({"name": "x", "colour": "red"}, "colour"),
]


def test_bad_watchlists_are_refused_naming_the_field(api: Api) -> None:
    admin = {**api.login("admin"), **CSRF}
    for body, detail in BAD:
        r = api.client.post("/api/v1/watchlists", json=body, headers=admin)
        assert r.status_code == 422, r.text
        assert detail in r.json()["detail"], body
    assert api.client.get("/api/v1/watchlists", headers=admin).json() == []


def test_a_camera_scoped_operator_sees_only_watchlists_of_their_cameras(api: Api) -> None:
    admin = {**api.login("admin"), **CSRF}
    made = {}
    for name, cameras in (("Gate", ["gate", "perimeter-north"]), ("North", ["perimeter-north"])):
        r = api.client.post(
            "/api/v1/watchlists", json={"name": name, "cameras": cameras}, headers=admin
        )
        made[name] = r.json()["id"]
    everywhere = api.client.post("/api/v1/watchlists", json={"name": "All"}, headers=admin)
    gina = api.login("gina", "gate-operator-pw")
    listed = api.client.get("/api/v1/watchlists", headers=gina).json()
    assert [(w["name"], w["cameras"]) for w in listed] == [("All", "*"), ("Gate", ["gate"])]
    assert api.client.get(f"/api/v1/watchlists/{made['North']}", headers=gina).status_code == 404
    assert everywhere.json()["cameras"] == "*"
