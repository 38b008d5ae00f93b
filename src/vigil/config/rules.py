"""The `rules:` and `schedules:` sections: what each rule watches, and when."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from vigil.config.base import (
    Base,
    CrossReferenceErrors,
    Severity,
    Slug,
)

RuleType = Literal[
    "zone_intrusion",
    "zone_enter",
    "zone_exit",
    "line_crossing",
    "loitering",
    "crowd",
    "abandoned_object",
]


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


ALL_DAYS = tuple(Weekday)


class WindowConfig(Base):
    """One window of a weekly calendar; `start > end` wraps past midnight."""

    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS))
    start: time
    end: time

    @model_validator(mode="after")
    def _window(self) -> WindowConfig:
        if self.start == self.end:
            raise ValueError("start and end are equal")
        return self


class ScheduleConfig(Base):
    """A weekly time window in the site's time zone; `start > end` wraps past midnight.

    `windows` makes a weekly calendar (several windows, e.g. weekday nights and all weekend);
    `holidays` decides what the site's holiday dates do: follow the windows, switch the
    schedule off, or make it active all day."""

    always: bool = False
    start: time | None = None
    end: time | None = None
    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS))
    holidays_off: bool = False
    windows: list[WindowConfig] = Field(default_factory=list)
    holidays_all_day: bool = Field(False, description="Active all day on holiday dates.")

    @model_validator(mode="after")
    def _window(self) -> ScheduleConfig:
        if self.always or self.windows:
            return self
        if self.start is None or self.end is None:
            raise ValueError("give both start and end (HH:MM), or always: true")
        if self.start == self.end:
            raise ValueError("start and end are equal; use always: true for all day")
        return self


class RuleConfig(Base):
    id: Slug
    name: str = Field(min_length=1)
    type: RuleType = Field(
        "zone_intrusion",
        description="zone_intrusion (presence), zone_enter, zone_exit, line_crossing, "
        "loitering, crowd, abandoned_object; see the rules reference in README.md.",
    )
    cameras: list[str] | Literal["*"] = "*"
    zones: list[str] = Field(
        default_factory=list, description="Zone ids; empty means every zone of the camera."
    )
    classes: list[str] = Field(default_factory=lambda: ["person"], min_length=1)
    schedule: str | None = Field(None, description="Name in `schedules`; none = always.")
    severity: Severity = "high"
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    min_frames: int = Field(
        2, ge=1, description="Analysed frames a person must be seen in before it counts."
    )
    clear_after_s: float = Field(
        30.0, gt=0, description="Seconds with nobody in the zone that end an incident."
    )
    enabled: bool = True
    # Rule kinds beyond presence (issue 5); each field is ignored by the kinds it does not name.
    line: tuple[tuple[float, float], tuple[float, float]] | None = Field(
        None, description="line_crossing: [[x1, y1], [x2, y2]] normalised 0..1, origin top-left."
    )
    direction: Literal["in", "out", "both"] = Field(
        "both",
        description="line_crossing: 'in' = from the left to the right of the line walked from "
        "its first point to its second (image y down), 'out' the reverse.",
    )
    dwell_s: float = Field(300.0, gt=0, description="loitering: seconds in the zone.")
    track_gap_s: float = Field(
        30.0, ge=0, description="Seconds a track may be unseen (occlusion, re-id) and continue."
    )
    min_people: int = Field(6, ge=2, description="crowd: people in the zone at once.")
    min_duration_s: float = Field(
        10.0, ge=0, description="crowd: seconds the count must hold before it alerts."
    )
    still_s: float = Field(
        60.0, gt=0, description="abandoned_object: seconds still with nobody near."
    )
    near_distance: float = Field(
        0.15, gt=0, le=1, description="abandoned_object: normalised distance that counts as near."
    )
    cooldown_s: float = Field(
        0.0, ge=0, description="Seconds after an alert in which this rule stays quiet per camera."
    )
    night_schedule: str | None = Field(
        None, description="Schedule name of night mode: raises severity, may lower thresholds."
    )
    night_min_confidence: float | None = Field(None, ge=0.0, le=1.0)
    score_severity: bool = Field(
        True, description="Adjust severity by zone criticality, night, repeats and confidence."
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> RuleConfig:
        if self.type == "line_crossing":
            if self.line is None:
                raise CrossReferenceErrors([("line", "required for a line_crossing rule")])
            (x1, y1), (x2, y2) = self.line
            if not all(0.0 <= v <= 1.0 for v in (x1, y1, x2, y2)):
                raise CrossReferenceErrors([("line", "points are normalised to 0..1")])
            if (x1, y1) == (x2, y2):
                raise CrossReferenceErrors([("line", "the two points are equal")])
        if self.type == "abandoned_object" and "person" in self.classes:
            raise CrossReferenceErrors(
                [("classes", "an abandoned object is not a person (e.g. [backpack, suitcase])")]
            )
        return self
