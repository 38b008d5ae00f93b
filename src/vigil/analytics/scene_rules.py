"""Rules about what a zone holds rather than who moves: crowds and abandoned objects.
Neither needs track ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vigil.analytics.rules import Outcome, Rule, RuleContext, distance, iou, stamp
from vigil.analytics.static_blobs import STATIC_CLASS, StaticForeground
from vigil.config import RuleConfig
from vigil.model.detections import Detection
from vigil.model.incidents import IncidentEnded
from vigil.model.messages import FrameDetections
from vigil.model.zones import Zone

SAME_PLACE_IOU = 0.5  # a still object's box overlaps where it was by at least this much


@dataclass(slots=True)
class _Crowd:
    since: datetime | None = None
    last_above: datetime | None = None
    peak: int = 0
    key: str | None = None
    open: bool = False


class CrowdRule(Rule):
    """At least `min_people` of the classes in a zone for `min_duration_s` (frames a little
    below the count within the hit gap do not reset it). The alert carries the count and is
    resolved when fewer have been there for `clear_after_s`."""

    def __init__(self, cfg: RuleConfig, ctx: RuleContext) -> None:
        super().__init__(cfg, ctx)
        self._state: dict[tuple[str, str], _Crowd] = {}

    def evaluate(self, fd: FrameDetections) -> list[Outcome]:
        out: list[Outcome] = []
        ts = fd.timestamp
        dets = self.candidates(fd)
        active = self.active(ts)
        for zone in self.ctx.zones.get(fd.camera_id, []):
            state = self._state.setdefault((fd.camera_id, zone.id), _Crowd())
            inside = tuple(d for d in dets if zone.contains(*d.foot_point))
            result = self._step(state, fd, zone, inside, active)
            if result is not None:
                out.append(result)
        return out

    def _step(
        self,
        state: _Crowd,
        fd: FrameDetections,
        zone: Zone,
        inside: tuple[Detection, ...],
        active: bool,
    ) -> Outcome | None:
        ts = fd.timestamp
        if len(inside) >= self.cfg.min_people and (active or state.open):
            lapsed = (
                state.last_above is None or (ts - state.last_above).total_seconds() > self.max_gap_s
            )
            if lapsed and not state.open:
                state.since, state.peak = ts, 0
            state.last_above = ts
            state.peak = max(state.peak, len(inside))
            assert state.since is not None
            held = (ts - state.since).total_seconds()
            if not state.open and held >= self.cfg.min_duration_s:
                state.open = True
                key = f"{self.cfg.id}/{fd.camera_id}/{zone.id}/{stamp(state.since)}"
                inc = self.open_incident(
                    key,
                    fd,
                    started_at=state.since,
                    zone=zone,
                    detections=inside,
                    title=f"Crowd of {len(inside)} in {zone.name} "
                    f"({self.camera_name(fd.camera_id)})",
                    data={"count": len(inside), "min_people": self.cfg.min_people},
                )
                state.key = key if inc is not None else None
                return inc
            return None
        last = state.last_above
        if state.open and last is not None:
            if (ts - last).total_seconds() >= self.cfg.clear_after_s:
                ended_key, state.key, state.open, state.since = state.key, None, False, None
                state.last_above = None
                if ended_key is not None:
                    return IncidentEnded(ended_key, fd.camera_id, ts, resolve=True)
        elif last is not None and (ts - last).total_seconds() > self.max_gap_s:
            state.since, state.last_above = None, None
        return None


@dataclass(slots=True)
class _Object:
    class_name: str
    bbox: tuple[float, float, float, float]
    first_seen: datetime
    last_seen: datetime
    alone_since: datetime | None
    key: str | None = None
    alerted: bool = False


class AbandonedObjectRule(Rule):
    """An object of the classes (e.g. backpack, suitcase) that stays where it appeared for
    `still_s` with no person's foot point within `near_distance` of it. One alert per object;
    resolved when the object has been gone for `clear_after_s`. An object that moves (its box
    no longer overlaps where it stood) counts as a new object. With zones, only objects whose
    foot point is in one of them count; without, the whole picture."""

    def __init__(self, cfg: RuleConfig, ctx: RuleContext) -> None:
        super().__init__(cfg, ctx)
        self._objects: dict[str, list[_Object]] = {}
        self._blobs: dict[str, StaticForeground] = {}

    def applies_to(self, camera_id: str) -> bool:
        return camera_id in self.ctx.zones

    def evaluate(self, fd: FrameDetections) -> list[Outcome]:
        out: list[Outcome] = []
        ts = fd.timestamp
        zones = self.ctx.zones.get(fd.camera_id, [])
        objects = self._objects.setdefault(fd.camera_id, [])
        floor = self.min_confidence(ts)
        people = [
            d.foot_point
            for d in fd.detections
            if d.class_name == "person" and d.confidence >= floor
        ]
        for det in self.candidates(fd) + self._static_blobs(fd):
            zone = next((z for z in zones if z.contains(*det.foot_point)), None)
            if zones and zone is None:
                continue
            obj = self._match(objects, det, ts)
            obj.last_seen = ts
            centre = ((det.bbox_xyxy[0] + det.bbox_xyxy[2]) / 2, det.bbox_xyxy[3])
            near = any(distance(centre, p) <= self.cfg.near_distance for p in people)
            if near:
                obj.alone_since = None
            elif obj.alone_since is None:
                obj.alone_since = ts
            alone_s = (ts - obj.alone_since).total_seconds() if obj.alone_since else 0.0
            if not obj.alerted and alone_s >= self.cfg.still_s and self.active(ts):
                obj.alerted = True
                key = f"{self.cfg.id}/{fd.camera_id}/{det.class_name}/{stamp(obj.first_seen)}"
                inc = self.open_incident(
                    key,
                    fd,
                    started_at=obj.first_seen,
                    zone=zone,
                    detections=(det,),
                    title=f"Unattended {det.class_name} for {alone_s / 60:.0f} min "
                    f"({self.camera_name(fd.camera_id)})",
                    data={"object": det.class_name, "unattended_s": round(alone_s, 1)},
                )
                if inc is not None:
                    obj.key = key
                    out.append(inc)
        for obj in list(objects):
            if (ts - obj.last_seen).total_seconds() >= self.cfg.clear_after_s:
                objects.remove(obj)
                if obj.key is not None:
                    out.append(IncidentEnded(obj.key, fd.camera_id, ts, resolve=True))
        return out

    def _static_blobs(self, fd: FrameDetections) -> list[Detection]:
        """With `static_object` among the classes: blobs of the camera's background models
        (needs the frame, which rides along in process)."""
        if STATIC_CLASS not in self.cfg.classes or fd.frame is None:
            return []
        model = self._blobs.setdefault(fd.camera_id, StaticForeground())
        return [Detection(STATIC_CLASS, 1.0, box) for box in model.update(fd.frame.image)]

    @staticmethod
    def _match(objects: list[_Object], det: Detection, ts: datetime) -> _Object:
        for obj in objects:
            if obj.class_name == det.class_name and iou(obj.bbox, det.bbox_xyxy) >= SAME_PLACE_IOU:
                return obj
        obj = _Object(det.class_name, det.bbox_xyxy, ts, ts, None)
        objects.append(obj)
        return obj
