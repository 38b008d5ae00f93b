"""Zone intrusion: one alert per intrusion, only while the schedule is active."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from vigil.analytics.engine import RuleEngine
from vigil.config import SiteConfig, parse_config
from vigil.model.detections import Detection, Detections
from vigil.model.incidents import Incident, IncidentEnded
from vigil.model.messages import FrameDetections

T0 = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # 23:30 in Kolkata: night
DAY = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # 11:30 in Kolkata
ZONE = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]  # lower half of the frame


def site(**rule: Any) -> SiteConfig:
    return parse_config(
        {
            "site": {"id": "s", "name": "S", "timezone": "Asia/Kolkata"},
            "dvr": {"host": "h", "username": "u", "password": "p", "channels": 2},
            "cameras": [
                {
                    "id": "c1",
                    "name": "Gate",
                    "channel": 1,
                    "zones": [{"id": "apron", "name": "Apron", "polygon": ZONE}],
                },
                {"id": "c2", "name": "Yard", "channel": 2},
            ],
            "schedules": {"night": {"start": "22:00", "end": "06:00"}},
            "rules": [
                {
                    "id": "r1",
                    "name": "Night intrusion",
                    "schedule": "night",
                    "min_frames": 2,
                    "clear_after_s": 30,
                    **rule,
                }
            ],
        }
    )


def person_at(x: float, foot_y: float, conf: float = 0.9, cls: str = "person") -> Detection:
    return Detection(cls, conf, (x - 0.05, foot_y - 0.3, x + 0.05, foot_y))


def frame(t: datetime, *dets: Detection, cam: str = "c1", seq: int = 0) -> FrameDetections:
    return FrameDetections(cam, t, seq, Detections.from_list(list(dets)), "test")


def run(
    engine: RuleEngine, start: datetime, frames: list[list[Detection]], cam: str = "c1"
) -> list[Incident | IncidentEnded]:
    out: list[Incident | IncidentEnded] = []
    for i, dets in enumerate(frames):
        out.extend(engine.process(frame(start + timedelta(seconds=i), *dets, cam=cam, seq=i)))
    return out


def test_one_alert_for_a_long_intrusion() -> None:
    engine = RuleEngine(site())
    inside = person_at(0.5, 0.9)
    outcomes = run(engine, T0, [[inside]] * 120)
    incidents = [o for o in outcomes if isinstance(o, Incident)]
    assert len(incidents) == 1
    inc = incidents[0]
    assert inc.started_at == T0  # the first frame with the person, not the confirming one
    assert inc.camera_name == "Gate" and inc.zone.id == "apron" and inc.severity == "high"
    assert inc.title == "1 person in Apron (Gate)"


def test_a_single_frame_blip_does_not_alert() -> None:
    engine = RuleEngine(site())
    outcomes = run(engine, T0, [[person_at(0.5, 0.9)], [], [], [], [person_at(0.5, 0.9)], []])
    assert outcomes == []


def test_one_missed_frame_still_counts_as_consecutive() -> None:
    engine = RuleEngine(site())
    outcomes = run(engine, T0, [[person_at(0.5, 0.9)], [], [person_at(0.5, 0.9)]])
    assert len(outcomes) == 1 and isinstance(outcomes[0], Incident)


def test_foot_point_decides_not_the_box() -> None:
    engine = RuleEngine(site())
    # Box reaches into the zone but the feet are above it (y=0.45 < 0.5).
    assert run(engine, T0, [[person_at(0.5, 0.45)]] * 5) == []


def test_new_alert_after_the_zone_clears() -> None:
    engine = RuleEngine(site())
    inside = [person_at(0.5, 0.9)]
    outcomes = run(engine, T0, [inside] * 5 + [[]] * 40 + [inside] * 5)
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Incident", "IncidentEnded", "Incident"]
    first, _, second = outcomes
    assert isinstance(first, Incident) and isinstance(second, Incident)
    assert first.key != second.key and first.alert_id != second.alert_id


def test_short_absence_does_not_split_the_incident() -> None:
    engine = RuleEngine(site())
    inside = [person_at(0.5, 0.9)]
    outcomes = run(engine, T0, [inside] * 5 + [[]] * 10 + [inside] * 5)
    assert [type(o).__name__ for o in outcomes] == ["Incident"]


def test_daytime_is_quiet_under_night_mode() -> None:
    engine = RuleEngine(site())
    assert run(engine, DAY, [[person_at(0.5, 0.9)]] * 10) == []


def test_low_confidence_and_other_classes_ignored() -> None:
    engine = RuleEngine(site(min_confidence=0.6))
    assert run(engine, T0, [[person_at(0.5, 0.9, conf=0.55)]] * 5) == []
    assert run(engine, T0, [[person_at(0.5, 0.9, cls="car")]] * 5) == []


def test_camera_without_zones_never_alerts() -> None:
    engine = RuleEngine(site())
    assert run(engine, T0, [[person_at(0.5, 0.9)]] * 5, cam="c2") == []


def test_incident_ids_are_deterministic() -> None:
    a = run(RuleEngine(site()), T0, [[person_at(0.5, 0.9)]] * 3)
    b = run(RuleEngine(site()), T0, [[person_at(0.5, 0.9)]] * 3)
    assert isinstance(a[0], Incident) and isinstance(b[0], Incident)
    assert (a[0].key, a[0].alert_id, a[0].event_id) == (b[0].key, b[0].alert_id, b[0].event_id)


def test_detections_carry_frame_for_snapshot() -> None:
    engine = RuleEngine(site())
    image = np.zeros((108, 96, 3), np.uint8)
    from vigil.model.messages import Frame

    out: list[Incident | IncidentEnded] = []
    for i in range(2):
        t = T0 + timedelta(seconds=i)
        fd = FrameDetections(
            "c1",
            t,
            i,
            Detections.from_list([person_at(0.5, 0.9)]),
            "test",
            Frame("c1", t, i, image),
        )
        out.extend(engine.process(fd))
    assert isinstance(out[0], Incident) and out[0].frame is not None
