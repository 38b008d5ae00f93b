"""Zone presence (`zone_intrusion`): the configured classes inside a zone.

An incident opens when the classes have been seen in a zone for `min_frames` analysed frames
while the schedule is active, and ends after `clear_after_s` with the zone empty. Each incident
yields exactly one alert, whatever the number of frames it spans.

Parked objects: a non-person object that stood still through an incident (same box at its
start and end) is remembered for `PARKED_MEMORY_S`; when the detector loses and finds it again
it does not open a new incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vigil.analytics.rules import Outcome, Rule, RuleContext, iou, stamp
from vigil.config import RuleConfig
from vigil.model.detections import Detection
from vigil.model.incidents import IncidentEnded
from vigil.model.messages import FrameDetections
from vigil.model.zones import Zone

PARKED_MEMORY_S = 6 * 3600.0
SAME_PLACE_IOU = 0.5


@dataclass(slots=True)
class _Parked:
    class_name: str
    bbox: tuple[float, float, float, float]
    seen_at: datetime


@dataclass(slots=True)
class _ZoneState:
    hits: int = 0
    first_hit_at: datetime | None = None
    last_hit_at: datetime | None = None
    open_key: str | None = None
    suppressed: bool = False  # opened during a cooldown: no alert, no end
    start_dets: tuple[Detection, ...] = ()
    last_dets: tuple[Detection, ...] = ()
    parked: list[_Parked] = field(default_factory=list)


class ZoneIntrusionRule(Rule):
    """People (or the configured classes) whose foot point is inside a zone."""

    def __init__(self, cfg: RuleConfig, ctx: RuleContext) -> None:
        super().__init__(cfg, ctx)
        self._state: dict[tuple[str, str], _ZoneState] = {}

    def busy(self, camera_id: str) -> bool:
        return any(
            cam == camera_id and (state.hits > 0 or state.open_key is not None)
            for (cam, _zone), state in self._state.items()
        )

    def evaluate(self, fd: FrameDetections) -> list[Outcome]:
        out: list[Outcome] = []
        active = self.active(fd.timestamp)
        candidates = self.candidates(fd)
        for zone in self.ctx.zones.get(fd.camera_id, []):
            state = self._state.setdefault((fd.camera_id, zone.id), _ZoneState())
            inside = tuple(d for d in candidates if zone.contains(*d.foot_point))
            inside = self._without_parked(state, inside, fd.timestamp)
            result = self._step(state, zone, fd, inside, active)
            if result is not None:
                out.append(result)
        return out

    def _without_parked(
        self, state: _ZoneState, inside: tuple[Detection, ...], ts: datetime
    ) -> tuple[Detection, ...]:
        state.parked = [
            p for p in state.parked if (ts - p.seen_at).total_seconds() < PARKED_MEMORY_S
        ]
        if not state.parked or state.open_key is not None:
            return inside
        kept = []
        for d in inside:
            spot = next(
                (
                    p
                    for p in state.parked
                    if p.class_name == d.class_name and iou(p.bbox, d.bbox_xyxy) >= SAME_PLACE_IOU
                ),
                None,
            )
            if spot is None:
                kept.append(d)
            else:
                spot.seen_at = ts
        return tuple(kept)

    def _step(
        self,
        state: _ZoneState,
        zone: Zone,
        fd: FrameDetections,
        inside: tuple[Detection, ...],
        active: bool,
    ) -> Outcome | None:
        ts = fd.timestamp
        if inside and (active or state.open_key is not None):
            gap = (ts - state.last_hit_at).total_seconds() if state.last_hit_at else None
            if gap is None or gap > self.max_gap_s:
                state.hits, state.first_hit_at = 0, ts
            state.hits += 1
            state.last_hit_at = ts
            state.last_dets = inside
            if state.open_key is None and state.hits >= self.cfg.min_frames:
                assert state.first_hit_at is not None
                state.open_key = (
                    f"{self.cfg.id}/{fd.camera_id}/{zone.id}/{stamp(state.first_hit_at)}"
                )
                state.start_dets = inside
                incident = self.open_incident(
                    state.open_key,
                    fd,
                    started_at=state.first_hit_at,
                    zone=zone,
                    detections=inside,
                )
                state.suppressed = incident is None
                return incident
            return None
        last = state.last_hit_at
        quiet_s = (ts - last).total_seconds() if last else None
        if state.open_key is not None and quiet_s is not None and quiet_s >= self.cfg.clear_after_s:
            ended = None if state.suppressed else IncidentEnded(state.open_key, fd.camera_id, ts)
            self._remember_parked(state, ts)
            state.open_key, state.hits, state.first_hit_at = None, 0, None
            return ended
        if state.open_key is None and (quiet_s is None or quiet_s > self.max_gap_s):
            state.hits, state.first_hit_at = 0, None
        return None

    @staticmethod
    def _remember_parked(state: _ZoneState, ts: datetime) -> None:
        for d in state.last_dets:
            if d.class_name == "person":
                continue
            stayed = any(
                s.class_name == d.class_name and iou(s.bbox_xyxy, d.bbox_xyxy) >= SAME_PLACE_IOU
                for s in state.start_dets
            )
            if stayed:
                state.parked.append(_Parked(d.class_name, d.bbox_xyxy, ts))
