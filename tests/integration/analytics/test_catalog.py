"""Stored zones and rules across restarts: the file's are rewritten on every start (the file
wins), the API's survive and join the effective rule set, and broken rows are skipped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vigil.analytics.catalog import RuleCatalog
from vigil.app.demo import demo_config
from vigil.clock import FakeClock
from vigil.config import RuleConfig, SiteConfig, ZoneConfig
from vigil.db.session import Database
from vigil.db.tables import AlertRule, PerimeterZone

WHOLE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]


def _edited(config: SiteConfig, **changes: Any) -> SiteConfig:
    data = config.model_dump(mode="json")
    data["dvr"]["password"] = "pw"
    data.update(changes)
    return SiteConfig.model_validate(data)


def test_api_items_survive_a_restart_and_the_file_wins(db: Database) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 18, 0, tzinfo=UTC))
    config = demo_config(8554, "pw", channels=2)
    first = RuleCatalog(db, config, clock)
    first.sync_from_config()
    first.create_zone("gate", ZoneConfig(id="yard", name="Yard", polygon=WHOLE))
    first.create_rule(RuleConfig(id="yard-watch", name="Yard", cameras=["gate"], zones=["yard"]))

    # The next start: the file renamed its rule and lost perimeter-north's walkway zone.
    data = config.model_dump(mode="json")
    data["cameras"][1]["zones"] = []
    data["rules"][0]["id"] = "people"
    restarted = RuleCatalog(
        db, _edited(config, cameras=data["cameras"], rules=data["rules"]), clock
    )
    restarted.sync_from_config()

    zones = [(z.camera_id, z.zone.id, z.source) for z in restarted.zones()]
    assert zones == [("gate", "walkway", "config"), ("gate", "yard", "api")]
    rules = [(r.rule.id, r.source, r.defined_in) for r in restarted.rules()]
    assert rules == [("people", "config", "rules[0]"), ("yard-watch", "api", None)]
    effective = restarted.effective()
    assert [r.id for r in effective.config.rules] == ["people", "yard-watch"]
    gate = effective.config.camera("gate")
    assert [z.id for z in gate.zones] == ["walkway", "yard"] and effective.problems == ()


def test_a_broken_row_is_skipped_with_a_reason_not_fatal(db: Database) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 18, 0, tzinfo=UTC))
    config = demo_config(8554, "pw", channels=2)
    catalog = RuleCatalog(db, config, clock)
    catalog.sync_from_config()
    catalog.create_zone("gate", ZoneConfig(id="yard", name="Yard", polygon=WHOLE))
    catalog.create_rule(RuleConfig(id="ok", name="Fine", cameras=["gate"], zones=["yard"]))
    with db.session() as session:  # rows written by hand or by an older version
        session.add(
            AlertRule(id="bad", name="Bad", type="zone_intrusion", severity="high",
                      enabled=True, body={"id": "bad", "min_frames": 0}, source="api",
                      created_at=clock.now(), updated_at=clock.now())
        )  # fmt: skip
        session.add(
            PerimeterZone(camera_id="attic", id="z", name="Z", kind="zone", polygon=WHOLE,
                          criticality="normal", source="api", created_at=clock.now(),
                          updated_at=clock.now())
        )  # fmt: skip
        session.commit()
    effective = catalog.effective()
    assert [r.id for r in effective.config.rules] == ["intrusion", "ok"]
    assert effective.problems == (
        "rule 'bad': name: missing (required); min_frames: Input should be greater than or "
        "equal to 1; skipped",
        "zone attic/z: camera 'attic' is not in site.yaml; skipped",
    )
