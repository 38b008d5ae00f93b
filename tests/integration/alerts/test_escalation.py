"""Escalation of unacknowledged alerts, on a real database with an accelerated clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vigil.alerts.escalation import EscalationService
from vigil.alerts.incidents import IncidentRecorder
from vigil.alerts.service import AlertService
from vigil.bus import MemoryBus
from vigil.clock import FakeClock
from vigil.config.alerts import AlertsConfig
from vigil.db.session import Database
from vigil.model.messages import AlertRequest, AlertView
from vigil.storage import FsObjectStore

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


def _request(key: str, severity: str) -> AlertRequest:
    return AlertRequest(key, "gate", "zone_intrusion", severity, f"{key} alert", NOW)


async def test_unacknowledged_critical_escalates_at_15_minutes(
    db: Database, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    bus = MemoryBus(clock)
    recorder = IncidentRecorder(db, FsObjectStore(tmp_path), bus, clock)
    escalated: list[AlertView] = []

    async def to_admins(view: AlertView) -> None:
        escalated.append(view)

    config = AlertsConfig(escalate_after_s={"critical": 900, "high": 1800})
    escalation = EscalationService(db, bus, clock, config, to_admins)
    alerts = AlertService(db, bus, clock)
    for key, severity in [("ignored", "critical"), ("seen", "critical"), ("minor", "medium")]:
        await recorder.raise_alert(_request(key, severity))
    ids = {v.title.split()[0]: v.id for v in await alerts.query()}

    clock.advance(14 * 60 + 59)
    assert await escalation.check() == []
    await alerts.acknowledge(ids["seen"], "olga")  # acknowledged in time: never escalates
    clock.advance(1)
    due = await escalation.check()
    assert [v.id for v in due] == [ids["ignored"]] == [v.id for v in escalated]
    assert due[0].escalation_level == 1 and due[0].escalated_at == clock.now()
    clock.advance(3600)
    assert await escalation.check() == []  # once; medium has no escalation configured
    assert (await alerts.get(ids["seen"])).escalation_level == 0
    assert (await alerts.get(ids["minor"])).escalation_level == 0


async def test_escalation_wait_is_per_severity(db: Database, tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    bus = MemoryBus(clock)
    recorder = IncidentRecorder(db, FsObjectStore(tmp_path), bus, clock)
    escalation = EscalationService(db, bus, clock, AlertsConfig(escalate_after_s={"high": 300}))
    await recorder.raise_alert(_request("h", "high"))
    await recorder.raise_alert(_request("c", "critical"))  # not configured here
    clock.advance(300)
    assert [v.severity for v in await escalation.check()] == ["high"]
