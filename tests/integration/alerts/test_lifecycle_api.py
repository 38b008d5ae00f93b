"""Alert lifecycle through the API on a real database: resolve, assign, notes, auto-resolve,
with audit records and bus pushes."""

from __future__ import annotations

from sqlalchemy import select

from tests.integration.api.test_api_contract import Api, _incident, api  # noqa: F401
from vigil.db.tables import AuditLog
from vigil.model.messages import AlertCleared


async def test_resolve_assign_and_notes(api: Api) -> None:  # noqa: F811
    incident = _incident()
    await api.recorder.record(incident)
    alert = f"/api/v1/alerts/{incident.alert_id}"
    olga = api.login("olga", "operator-password")
    viewer = api.login("victor", "viewer-password")

    r = api.client.post(f"{alert}/assign", json={"username": "OLGA"}, headers=olga)
    assert r.status_code == 200, r.text
    assert r.json()["assigned_to"] == "olga" and r.json()["assigned_at"] is not None
    r = api.client.post(f"{alert}/assign", json={"username": "nobody"}, headers=olga)
    assert r.status_code == 404 and "nobody" in r.json()["detail"]
    assert (
        api.client.post(f"{alert}/assign", json={"username": None}, headers=viewer).status_code
        == 403
    )

    r = api.client.post(f"{alert}/notes", json={"body": "Guard sent to gate 2"}, headers=olga)
    assert r.status_code == 201, r.text
    assert r.json()["author"] == "olga"
    assert api.client.post(f"{alert}/notes", json={"body": ""}, headers=olga).status_code == 422
    notes = api.client.get(f"{alert}/notes", headers=viewer).json()
    assert [n["body"] for n in notes] == ["Guard sent to gate 2"]

    r = api.client.post(f"{alert}/resolve", headers=olga)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "resolved" and body["resolved_by"] == "olga"
    assert body["acknowledged_by"] == "olga"  # resolving implies it was seen
    assert api.client.post(f"{alert}/resolve", headers=olga).status_code == 200  # harmless
    r = api.client.post(f"{alert}/assign", json={"username": "admin"}, headers=olga)
    assert r.status_code == 409
    assert api.client.post(f"{alert}/resolve", headers=viewer).status_code == 403
    missing = "/api/v1/alerts/00000000-0000-0000-0000-000000000000"
    assert api.client.post(f"{missing}/resolve", headers=olga).status_code == 404
    assert api.client.get(f"{missing}/notes", headers=olga).status_code == 404

    with api.db.session() as session:
        actions = session.execute(
            select(AuditLog.action).where(AuditLog.resource == f"alerts/{incident.alert_id}")
        ).scalars()
        assert sorted(set(actions)) == ["alert.assign", "alert.note", "alert.resolve"]


async def test_condition_clearing_resolves_automatically(api: Api) -> None:  # noqa: F811
    incident = _incident()
    await api.recorder.record(incident)
    await api.recorder.clear(
        AlertCleared(incident.key, incident.camera_id, incident.started_at, resolve=True)
    )
    headers = api.login("admin", "admin-password")
    body = api.client.get(f"/api/v1/alerts/{incident.alert_id}", headers=headers).json()
    assert body["status"] == "resolved" and body["resolved_by"] == "system"


async def test_rule_end_with_resolve_resolves_the_alert(api: Api) -> None:  # noqa: F811
    from vigil.model.incidents import IncidentEnded

    incident = _incident()
    await api.recorder.record(incident)
    await api.recorder.end(IncidentEnded(incident.key, incident.camera_id, incident.started_at))
    headers = api.login("admin", "admin-password")
    alert = f"/api/v1/alerts/{incident.alert_id}"
    assert api.client.get(alert, headers=headers).json()["status"] == "new"  # noted, open
    await api.recorder.end(
        IncidentEnded(incident.key, incident.camera_id, incident.started_at, resolve=True)
    )
    assert api.client.get(alert, headers=headers).json()["status"] == "resolved"


def test_dead_letters_are_listed_for_operators(api: Api) -> None:  # noqa: F811
    import uuid

    from vigil.db.tables import Notification

    with api.db.session() as session:
        session.add(
            Notification(
                id=uuid.uuid4(),
                channel="sms",
                recipient="+15550001",
                kind="alert",
                status="dead",
                attempts=4,
                last_error="sms: HTTP 503",
            )
        )
        session.commit()
    olga = api.login("olga", "operator-password")
    r = api.client.get("/api/v1/alerts/dead-letters", headers=olga)
    assert r.status_code == 200, r.text
    (dead,) = r.json()
    assert (dead["channel"], dead["attempts"], dead["last_error"]) == ("sms", 4, "sms: HTTP 503")
    viewer = api.login("victor", "viewer-password")
    assert api.client.get("/api/v1/alerts/dead-letters", headers=viewer).status_code == 403
