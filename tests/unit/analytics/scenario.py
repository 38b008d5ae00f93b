"""Helpers for rule scenarios: a small site and recorded detections fed at 1 fps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil.analytics.engine import RuleEngine
from vigil.config import SiteConfig, parse_config
from vigil.model.detections import Detection, Detections
from vigil.model.incidents import Incident, IncidentEnded
from vigil.model.messages import FrameDetections

NIGHT = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # 23:30 in Kolkata (a Monday)
DAY = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # 11:30 in Kolkata
LOWER_HALF = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]
Outcome = Incident | IncidentEnded


def site(*rules: dict[str, Any], criticality: str = "normal", **extra: Any) -> SiteConfig:
    doc: dict[str, Any] = {
        "site": {"id": "s", "name": "S", "timezone": "Asia/Kolkata"},
        "dvr": {"host": "h", "username": "u", "password": "p", "channels": 2},
        "cameras": [
            {
                "id": "c1",
                "name": "Gate",
                "channel": 1,
                "zones": [
                    {
                        "id": "apron",
                        "name": "Apron",
                        "polygon": LOWER_HALF,
                        "criticality": criticality,
                    }
                ],
            },
            {"id": "c2", "name": "Yard", "channel": 2},
        ],
        "schedules": {"night": {"start": "22:00", "end": "06:00"}},
        "rules": [{"name": r.get("id", "r1"), "id": "r1", **r} for r in rules],
        **extra,
    }
    return parse_config(doc)


def person(x: float, foot_y: float, track: int | None = None, conf: float = 0.9) -> Detection:
    return Detection("person", conf, (x - 0.04, foot_y - 0.25, x + 0.04, foot_y), track)


def thing(
    cls: str, x: float, foot_y: float, w: float = 0.06, track: int | None = None
) -> Detection:
    return Detection(cls, 0.8, (x - w / 2, foot_y - w, x + w / 2, foot_y), track)


def replay(
    engine: RuleEngine,
    start: datetime,
    seconds: int,
    at: Callable[[int], Iterable[Detection]],
    cam: str = "c1",
) -> list[tuple[int, Outcome]]:
    """Feed one frame per second for `seconds`; `at(t)` gives the detections at second t.
    Returns (second, outcome) pairs."""
    out: list[tuple[int, Outcome]] = []
    for t in range(seconds):
        fd = FrameDetections(
            cam, start + timedelta(seconds=t), t, Detections.from_list(list(at(t))), "test"
        )
        out.extend((t, o) for o in engine.process(fd))
    return out


def incidents(outcomes: list[tuple[int, Outcome]]) -> list[tuple[int, Incident]]:
    return [(t, o) for t, o in outcomes if isinstance(o, Incident)]


def ended(outcomes: list[tuple[int, Outcome]]) -> list[tuple[int, IncidentEnded]]:
    return [(t, o) for t, o in outcomes if isinstance(o, IncidentEnded)]
