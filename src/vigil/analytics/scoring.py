"""Severity scoring: a rule's base severity moved up or down by the circumstances.

Each factor moves the level by whole steps on info < low < medium < high < critical:
zone criticality (low -1, high +1, critical +2), night mode (+1), repeat offences on the same
camera and rule within the last hour (+1 from the third), and a weak detection (-1 when the
best confidence is within 0.1 of the rule's threshold). The result is clamped to the scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.config import SEVERITIES

_ZONE_STEP = {"low": -1, "normal": 0, "high": 1, "critical": 2}
REPEAT_WINDOW_S = 3600.0
REPEATS_TO_RAISE = 2  # prior incidents in the window that make the next one "repeat"
WEAK_MARGIN = 0.1


@dataclass(frozen=True, slots=True)
class Score:
    severity: str
    reasons: tuple[str, ...]


def score(
    base: str,
    *,
    zone_criticality: str | None,
    night: bool,
    prior_incidents: int,
    confidence: float | None,
    min_confidence: float,
) -> Score:
    """The scored severity and the reasons for each step taken (empty when unchanged)."""
    steps = 0
    reasons: list[str] = []
    zone_step = _ZONE_STEP.get(zone_criticality or "normal", 0)
    if zone_step:
        steps += zone_step
        reasons.append(f"zone criticality {zone_criticality} ({zone_step:+d})")
    if night:
        steps += 1
        reasons.append("night mode (+1)")
    if prior_incidents >= REPEATS_TO_RAISE:
        steps += 1
        reasons.append(f"repeat: {prior_incidents} earlier in the hour (+1)")
    if confidence is not None and confidence < min_confidence + WEAK_MARGIN:
        steps -= 1
        reasons.append(f"weak detection {confidence:.2f} (-1)")
    level = SEVERITIES.index(base) + steps  # type: ignore[arg-type]  # base is a Severity
    level = max(0, min(len(SEVERITIES) - 1, level))
    return Score(SEVERITIES[level], tuple(reasons))
