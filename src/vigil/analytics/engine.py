"""The rule engine: per camera, turn each frame's detections into incidents.

An incident is one intrusion: it opens when people have been seen in a zone for `min_frames`
analysed frames while the rule's schedule is active, and ends after `clear_after_s` with nobody
in the zone. Each incident yields exactly one alert, whatever the number of frames it spans.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from vigil.analytics.schedules import is_active
from vigil.analytics.zones import Zone
from vigil.bus.messages import Frame, FrameDetections
from vigil.config import RuleConfig, ScheduleConfig, SiteConfig
from vigil.vision.detections import Detection

# Ids derived from the incident key: a replayed frame or a retried write gives the same ids.
INCIDENT_NAMESPACE = uuid.UUID("6f1c4c1e-6a8b-4f0e-9b53-2f0f4a1a7c11")
# Frames may be missed (a dropped analysis frame, a detector blink); hits within this many
# frame intervals still count as consecutive.
_HIT_GAP_FRAMES = 2.5


@dataclass(frozen=True, slots=True)
class Incident:
    """A newly opened incident: one alert's worth. Coordinates are normalised xyxy."""

    key: str
    rule_id: str
    rule_name: str
    rule_type: str
    camera_id: str
    camera_name: str
    zone: Zone
    severity: str
    started_at: datetime
    detections: tuple[Detection, ...]
    frame: Frame | None = field(repr=False)

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.uuid5(INCIDENT_NAMESPACE, f"event/{self.key}")

    @property
    def alert_id(self) -> uuid.UUID:
        return uuid.uuid5(INCIDENT_NAMESPACE, f"alert/{self.key}")

    @property
    def title(self) -> str:
        people = len(self.detections)
        who = "1 person" if people == 1 else f"{people} people"
        return f"{who} in {self.zone.name} ({self.camera_name})"


@dataclass(frozen=True, slots=True)
class IncidentEnded:
    key: str
    camera_id: str
    ended_at: datetime


@dataclass(slots=True)
class _ZoneState:
    hits: int = 0
    first_hit_at: datetime | None = None
    last_hit_at: datetime | None = None
    open_key: str | None = None


class ZoneIntrusionRule:
    """People (or the configured classes) whose foot point is inside a zone."""

    def __init__(
        self,
        cfg: RuleConfig,
        zones: dict[str, list[Zone]],
        camera_names: dict[str, str],
        schedule: ScheduleConfig | None,
        tz: ZoneInfo,
        holidays: frozenset[date],
        frame_interval_s: float,
    ) -> None:
        self.cfg = cfg
        self._zones = zones
        self._camera_names = camera_names
        self._schedule = schedule
        self._tz = tz
        self._holidays = holidays
        self._max_gap_s = max(_HIT_GAP_FRAMES * frame_interval_s, 1.0)
        self._state: dict[tuple[str, str], _ZoneState] = {}

    def applies_to(self, camera_id: str) -> bool:
        return camera_id in self._zones

    def evaluate(self, fd: FrameDetections) -> list[Incident | IncidentEnded]:
        out: list[Incident | IncidentEnded] = []
        active = is_active(self._schedule, fd.timestamp, self._tz, self._holidays)
        candidates = [
            d
            for d in fd.detections
            if d.class_name in self.cfg.classes and d.confidence >= self.cfg.min_confidence
        ]
        for zone in self._zones.get(fd.camera_id, []):
            state = self._state.setdefault((fd.camera_id, zone.id), _ZoneState())
            inside = tuple(d for d in candidates if zone.contains(*d.foot_point))
            result = self._step(state, zone, fd, inside, active)
            if result is not None:
                out.append(result)
        return out

    def _step(
        self,
        state: _ZoneState,
        zone: Zone,
        fd: FrameDetections,
        inside: tuple[Detection, ...],
        active: bool,
    ) -> Incident | IncidentEnded | None:
        ts = fd.timestamp
        if inside and (active or state.open_key is not None):
            gap = (ts - state.last_hit_at).total_seconds() if state.last_hit_at else None
            if gap is None or gap > self._max_gap_s:
                state.hits, state.first_hit_at = 0, ts
            state.hits += 1
            state.last_hit_at = ts
            if state.open_key is None and state.hits >= self.cfg.min_frames:
                assert state.first_hit_at is not None
                state.open_key = (
                    f"{self.cfg.id}/{fd.camera_id}/{zone.id}/"
                    f"{state.first_hit_at.strftime('%Y%m%dT%H%M%S.%fZ')}"
                )
                return Incident(
                    key=state.open_key,
                    rule_id=self.cfg.id,
                    rule_name=self.cfg.name,
                    rule_type=self.cfg.type,
                    camera_id=fd.camera_id,
                    camera_name=self._camera_names.get(fd.camera_id, fd.camera_id),
                    zone=zone,
                    severity=self.cfg.severity,
                    started_at=state.first_hit_at,
                    detections=inside,
                    frame=fd.frame,
                )
            return None
        last = state.last_hit_at
        quiet_s = (ts - last).total_seconds() if last else None
        if state.open_key is not None and quiet_s is not None and quiet_s >= self.cfg.clear_after_s:
            ended = IncidentEnded(state.open_key, fd.camera_id, ts)
            state.open_key, state.hits, state.first_hit_at = None, 0, None
            return ended
        if state.open_key is None and (quiet_s is None or quiet_s > self._max_gap_s):
            state.hits, state.first_hit_at = 0, None
        return None


class RuleEngine:
    """All enabled rules of a site; `process` is called once per analysed frame, in order per
    camera. Not thread-safe: one engine task consumes the detections topic."""

    def __init__(self, config: SiteConfig) -> None:
        tz = config.site.tz
        holidays = frozenset(date.fromisoformat(d) for d in config.holidays)
        names = {c.id: c.name for c in config.cameras}
        self.rules: list[ZoneIntrusionRule] = []
        for rule in config.rules:
            if not rule.enabled:
                continue
            cam_ids = [c.id for c in config.cameras] if rule.cameras == "*" else rule.cameras
            zones: dict[str, list[Zone]] = {}
            for cam_id in cam_ids:
                cam = config.camera(cam_id)
                selected = [z for z in cam.zones if not rule.zones or z.id in rule.zones]
                if selected:
                    zones[cam_id] = [Zone.from_config(cam_id, z) for z in selected]
            schedule = config.schedules[rule.schedule] if rule.schedule else None
            self.rules.append(
                ZoneIntrusionRule(
                    rule, zones, names, schedule, tz, holidays, config.detection.frame_interval_s
                )
            )

    def process(self, fd: FrameDetections) -> list[Incident | IncidentEnded]:
        out: list[Incident | IncidentEnded] = []
        for rule in self.rules:
            if rule.applies_to(fd.camera_id):
                out.extend(rule.evaluate(fd))
        return out
