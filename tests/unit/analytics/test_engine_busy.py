"""`RuleEngine.busy`: whether a camera's rule state depends on frames already processed (the
analytics service commits a partition only when none does, so a worker taking it over
replays those frames and rebuilds the same incidents)."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.analytics.scenario import DAY, LOWER_HALF, person, replay, site
from vigil.analytics.engine import RuleEngine


def test_presence_is_busy_from_the_first_hit_until_the_incident_ends() -> None:
    engine = RuleEngine(site({"type": "zone_intrusion", "clear_after_s": 5}))
    assert not engine.busy("c1")
    replay(engine, DAY, 1, lambda t: [person(0.5, 0.9)])
    assert engine.busy("c1")  # one hit of min_frames 2: the next frame opens the incident
    assert not engine.busy("c2")  # another camera's state is its own
    out = replay(engine, DAY + timedelta(seconds=1), 3, lambda t: [person(0.5, 0.9)])
    assert len(out) == 1 and engine.busy("c1")  # open
    replay(engine, DAY + timedelta(seconds=4), 10, lambda t: [])
    assert not engine.busy("c1")  # ended: nothing left to rebuild


def test_tracks_and_stays_keep_a_camera_busy_until_they_expire() -> None:
    zone = {"zones": ["apron"], "track_gap_s": 3}
    for rule in ({"type": "zone_enter", **zone}, {"type": "loitering", "dwell_s": 60, **zone}):
        engine = RuleEngine(site(rule))
        replay(engine, DAY, 3, lambda t: [person(0.5, 0.9, track=7)])
        assert engine.busy("c1"), rule["type"]
        replay(engine, DAY + timedelta(seconds=3), 6, lambda t: [])
        assert not engine.busy("c1"), rule["type"]


def test_forget_drops_one_cameras_state_as_if_never_seen() -> None:
    zone = {"id": "apron", "name": "Apron", "polygon": LOWER_HALF}
    cameras = [
        {"id": c, "name": c, "channel": n, "zones": [zone]} for n, c in ((1, "c1"), (2, "c2"))
    ]
    engine = RuleEngine(site({"type": "zone_intrusion", "clear_after_s": 5}, cameras=cameras))
    replay(engine, DAY, 3, lambda t: [person(0.5, 0.9)])
    replay(engine, DAY, 3, lambda t: [person(0.5, 0.9)], cam="c2")
    engine.forget("c1")
    assert not engine.busy("c1")
    assert engine.busy("c2")  # untouched
    # Still in the zone: a fresh state opens an incident again (a new owner would too).
    later = DAY + timedelta(seconds=3)
    again = replay(engine, later, 3, lambda t: [person(0.5, 0.9)])
    assert [o.key for _, o in again] == [f"r1/c1/apron/{later:%Y%m%dT%H%M%S.%fZ}"]
    assert replay(engine, later, 3, lambda t: [person(0.5, 0.9)], cam="c2") == []


def test_forget_covers_every_rule_kind() -> None:
    kinds = [
        {"type": "zone_enter", "zones": ["apron"]},
        {"type": "loitering", "zones": ["apron"], "dwell_s": 60},
        {"type": "line_crossing", "line": [[0.0, 0.5], [1.0, 0.5]]},
        {"type": "crowd", "zones": ["apron"], "min_people": 2},
        {"type": "abandoned_object", "classes": ["suitcase"]},
    ]
    for rule in kinds:
        engine = RuleEngine(site(rule))
        replay(engine, DAY, 3, lambda t: [person(0.5, 0.9, track=1), person(0.6, 0.9, track=2)])
        state = engine.rules[0]
        assert any(getattr(state, name) for name in state.CAMERA_STATE), rule["type"]
        engine.forget("c1")
        for name in state.CAMERA_STATE:
            assert not getattr(state, name), (rule["type"], name)
