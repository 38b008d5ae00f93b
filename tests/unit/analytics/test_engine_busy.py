"""`RuleEngine.busy`: whether a camera's rule state depends on frames already processed (the
analytics service commits a partition only when none does, so a worker taking it over
replays those frames and rebuilds the same incidents)."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.analytics.scenario import DAY, person, replay, site
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
