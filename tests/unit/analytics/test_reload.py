"""Live reload of the rules: API zones and rules merged with the file's, unchanged rules keep
their state, broken items are skipped and reported, and a failed reload keeps the rules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from tests.unit.analytics.test_engine import T0, person_at, run, site
from vigil.analytics.engine import RuleEngine
from vigil.analytics.reload import RuleReloader, change_notice
from vigil.analytics.rulebook import Effective, merge
from vigil.bus import MemoryBus, topics
from vigil.config import RuleConfig, ZoneConfig
from vigil.model.incidents import Incident

WHOLE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
YARD = ZoneConfig(id="yard", name="Yard", polygon=WHOLE)


def _rule(**fields: object) -> RuleConfig:
    return RuleConfig.model_validate({"id": "r2", "name": "Yard", "cameras": ["c2"], **fields})


def _incidents(outcomes: list[object]) -> list[Incident]:
    return [o for o in outcomes if isinstance(o, Incident)]


def test_an_unchanged_rule_keeps_its_open_incident_across_a_reload() -> None:
    config = site(cameras=["c1"])  # a new zone on c2 leaves it as it was
    engine = RuleEngine(config)
    inside = person_at(0.5, 0.9)
    assert len(_incidents(run(engine, T0, [[inside]] * 5))) == 1
    before = engine.rules[0]

    fresh = engine.reload(merge(config, [("c2", YARD)], [_rule(zones=["yard"])]).config)

    assert fresh == 1 and engine.rules[0] is before  # only the new rule was built
    later = T0 + timedelta(seconds=5)
    # The same intrusion goes on: still one incident, not a second alert after the reload.
    assert _incidents(run(engine, later, [[inside]] * 5)) == []
    on_yard = _incidents(run(engine, later, [[person_at(0.5, 0.3)]] * 3, cam="c2"))
    assert [(i.rule_id, i.zone.id if i.zone else None) for i in on_yard] == [("r2", "yard")]


def test_a_changed_rule_is_rebuilt_and_a_deleted_one_stops() -> None:
    config = site()
    engine = RuleEngine(config)
    old = engine.rules[0]
    stricter = config.model_copy(
        update={"rules": [config.rules[0].model_copy(update={"severity": "critical"})]}
    )
    assert engine.reload(stricter) == 1 and engine.rules[0] is not old
    assert engine.rules[0].cfg.severity == "critical"
    engine.reload(config.model_copy(update={"rules": []}))
    assert engine.rules == [] and run(engine, T0, [[person_at(0.5, 0.9)]] * 5) == []


def test_a_new_zone_joins_a_rule_that_watches_every_zone() -> None:
    config = site(cameras="*", zones=[])
    engine = RuleEngine(config)
    assert not engine.rules[0].applies_to("c2")  # c2 has no zone in the file
    engine.reload(merge(config, [("c2", YARD)], []).config)
    assert engine.rules[0].applies_to("c2")


def test_merge_skips_broken_items_and_keeps_the_rest() -> None:
    config = site()
    shadow = ZoneConfig(id="apron", name="Not the file's", polygon=WHOLE)
    effective = merge(
        config,
        [("c1", shadow), ("gone", YARD), ("c2", YARD)],
        [_rule(zones=["pond"]), _rule(id="r3", zones=["yard"]), _rule(id="r1")],
    )
    assert effective.problems == (
        "zone gone/yard: camera 'gone' is not in site.yaml; skipped",
        "rule 'r2': zones[0]: zone 'pond' is not defined on any of the rule's cameras; skipped",
    )
    cams = {c.id: [(z.id, z.name) for z in c.zones] for c in effective.config.cameras}
    assert cams == {"c1": [("apron", "Apron")], "c2": [("yard", "Yard")]}  # the file wins
    rules = [(r.id, r.name) for r in effective.config.rules]
    assert rules == [("r1", "Night intrusion"), ("r3", "Yard")]
    assert (effective.api_rules, effective.api_zones) == (1, 1)


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_reloader_applies_notices_and_keeps_rules_when_a_reload_fails() -> None:
    config = site()
    state: dict[str, Effective | Exception] = {"now": Effective(config)}

    def load() -> Effective:
        value = state["now"]
        if isinstance(value, Exception):
            raise value
        return value

    bus = MemoryBus()
    await bus.start()
    reloader = RuleReloader(bus, load, site_id="s")
    engine = await reloader.load()
    await reloader.start()
    try:
        assert reloader.health().status == "ok"
        state["now"] = merge(config, [("c2", YARD)], [_rule(zones=["yard"])])
        bus.publish(topics.CONFIG_CHANGES, "other-site", change_notice("other-site", "x", "y", ""))
        bus.publish(topics.CONFIG_CHANGES, "s", change_notice("s", "rules.create", "rules/r2", ""))
        await _until(lambda: reloader.reloads == 1)
        assert [r.cfg.id for r in engine.rules] == ["r1", "r2"]
        assert reloader.health().detail == "2 rule(s) running (1 from the API, 1 API zone(s))"

        state["now"] = ConnectionError("database unreachable")
        bus.publish(topics.CONFIG_CHANGES, "s", change_notice("s", "rules.delete", "rules/r2", ""))
        await _until(lambda: reloader.health().status == "degraded")
        health = reloader.health()
        assert health.detail is not None and "database unreachable" in health.detail
        assert [r.cfg.id for r in engine.rules] == ["r1", "r2"]  # the rules in force stay

        state["now"] = merge(config, [], [_rule(zones=["yard"])])  # the zone went away
        await _until(lambda: reloader.reloads == 2)  # it kept trying
        assert [r.cfg.id for r in engine.rules] == ["r1"]
        health = reloader.health()
        assert health.status == "degraded" and health.detail is not None
        assert "rule 'r2': zones[0]: zone 'yard' is not defined" in health.detail
    finally:
        await reloader.stop()
        await bus.stop()
