"""What every rule shares: schedule and night mode, class and confidence filters, cooldowns,
repeat counting and severity scoring. Each rule kind subclasses `Rule` and implements
`evaluate`, called once per analysed frame of a camera it applies to, in time order.

Coordinates are normalised (0..1, origin top-left); a person's position is the foot point.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from vigil.analytics.schedules import is_active
from vigil.analytics.scoring import REPEAT_WINDOW_S, score
from vigil.config import RuleConfig, ScheduleConfig
from vigil.model.detections import Detection
from vigil.model.incidents import Incident, IncidentEnded
from vigil.model.messages import Frame, FrameDetections
from vigil.model.zones import Zone

Outcome = Incident | IncidentEnded


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule needs from the site: its zones per camera, names, schedules, the zone."""

    zones: dict[str, list[Zone]]
    cameras: tuple[str, ...]
    camera_names: dict[str, str]
    schedule: ScheduleConfig | None
    night: ScheduleConfig | None
    tz: ZoneInfo
    holidays: frozenset[date]
    frame_interval_s: float


def stamp(ts: datetime) -> str:
    return ts.strftime("%Y%m%dT%H%M%S.%fZ")


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)


class Rule:
    """Base of every rule kind. Not thread-safe; the engine calls it from one task."""

    # Frames may be missed (a dropped analysis frame, a detector blink); observations within
    # this many frame intervals still count as consecutive.
    HIT_GAP_FRAMES = 2.5

    def __init__(self, cfg: RuleConfig, ctx: RuleContext) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.max_gap_s = max(self.HIT_GAP_FRAMES * ctx.frame_interval_s, 1.0)
        self._last_alert_at: dict[str, datetime] = {}
        self._history: dict[str, deque[datetime]] = {}

    def applies_to(self, camera_id: str) -> bool:
        return camera_id in self.ctx.zones

    def busy(self, camera_id: str) -> bool:
        """Whether the rule holds state of `camera_id` that later frames depend on (an open
        incident, hits or tracks counting up). Rules that do not say are taken as holding none:
        their state is lost when another analytics worker takes the camera over."""
        return False

    def evaluate(self, fd: FrameDetections) -> list[Outcome]:
        raise NotImplementedError

    def active(self, ts: datetime) -> bool:
        return is_active(self.ctx.schedule, ts, self.ctx.tz, self.ctx.holidays)

    def is_night(self, ts: datetime) -> bool:
        night = self.ctx.night
        return night is not None and is_active(night, ts, self.ctx.tz, self.ctx.holidays)

    def min_confidence(self, ts: datetime) -> float:
        if self.cfg.night_min_confidence is not None and self.is_night(ts):
            return self.cfg.night_min_confidence
        return self.cfg.min_confidence

    def candidates(self, fd: FrameDetections, classes: list[str] | None = None) -> list[Detection]:
        wanted = classes if classes is not None else self.cfg.classes
        floor = self.min_confidence(fd.timestamp)
        return [d for d in fd.detections if d.class_name in wanted and d.confidence >= floor]

    def camera_name(self, camera_id: str) -> str:
        return self.ctx.camera_names.get(camera_id, camera_id)

    def open_incident(
        self,
        key: str,
        fd: FrameDetections,
        *,
        started_at: datetime,
        zone: Zone | None,
        detections: tuple[Detection, ...],
        title: str | None = None,
        data: dict[str, Any] | None = None,
        outline: tuple[tuple[float, float], ...] | None = None,
        frame: Frame | None = None,
    ) -> Incident | None:
        """An incident, severity scored; None while the rule's camera cooldown runs."""
        cam = fd.camera_id
        ts = fd.timestamp
        last = self._last_alert_at.get(cam)
        if last is not None and (ts - last).total_seconds() < self.cfg.cooldown_s:
            return None
        history = self._history.setdefault(cam, deque())
        while history and (ts - history[0]).total_seconds() > REPEAT_WINDOW_S:
            history.popleft()
        best = max((d.confidence for d in detections), default=None)
        severity: str = self.cfg.severity
        reasons: tuple[str, ...] = ()
        if self.cfg.score_severity:
            scored = score(
                self.cfg.severity,
                zone_criticality=zone.criticality if zone else None,
                night=self.is_night(ts),
                prior_incidents=len(history),
                confidence=best,
                min_confidence=self.min_confidence(ts),
            )
            severity, reasons = scored.severity, scored.reasons
        history.append(ts)
        self._last_alert_at[cam] = ts
        extra = dict(data or {})
        if reasons:
            extra["severity_reasons"] = list(reasons)
        return Incident(
            key=key,
            rule_id=self.cfg.id,
            rule_name=self.cfg.name,
            rule_type=self.cfg.type,
            camera_id=cam,
            camera_name=self.camera_name(cam),
            zone=zone,
            severity=severity,
            started_at=started_at,
            detections=detections,
            frame=frame if frame is not None else fd.frame,
            title_text=title,
            data=extra,
            outline=outline,
        )
