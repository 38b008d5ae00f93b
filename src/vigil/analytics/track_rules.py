"""Rules that follow tracks (`Detection.track_id` from the tracker): zone enter/exit,
directed line crossing, loitering. Detections without a track id are skipped by these rules.

Tracks may vanish for a while (occlusion, a missed detection, the tracker giving a new id):
a track unseen for up to `track_gap_s` continues; loitering also hands a lost track's time
to a new track that appears near where it was lost (re-identification gap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vigil.analytics.rules import Outcome, Rule, RuleContext, distance, stamp
from vigil.config import RuleConfig
from vigil.model.detections import Detection
from vigil.model.incidents import IncidentEnded
from vigil.model.messages import FrameDetections
from vigil.model.zones import Zone

REID_DISTANCE = 0.15  # normalised: how far a new track may appear from a lost one's last spot


def tracked(dets: list[Detection]) -> list[tuple[int, Detection]]:
    return [(d.track_id, d) for d in dets if d.track_id is not None]


@dataclass(slots=True)
class _Side:
    inside: bool
    run: int  # consecutive observations on the current side
    last_seen: datetime
    was_outside: bool = False
    was_inside: bool = False  # confirmed inside (min_frames) at some point


class ZoneTransitionRule(Rule):
    """`zone_enter`: a track seen outside a zone then inside it for `min_frames` observations;
    `zone_exit`: a track confirmed inside then outside. One alert per transition."""

    def __init__(self, cfg: RuleConfig, ctx: RuleContext) -> None:
        super().__init__(cfg, ctx)
        self._tracks: dict[tuple[str, str, int], _Side] = {}

    def busy(self, camera_id: str) -> bool:
        return any(key[0] == camera_id for key in self._tracks)

    def evaluate(self, fd: FrameDetections) -> list[Outcome]:
        out: list[Outcome] = []
        ts = fd.timestamp
        active = self.active(ts)
        dets = tracked(self.candidates(fd))
        for zone in self.ctx.zones.get(fd.camera_id, []):
            for track_id, det in dets:
                inc = self._observe(fd, zone, track_id, det, active)
                if inc is not None:
                    out.append(inc)
        gap = self.cfg.track_gap_s
        self._tracks = {
            k: v
            for k, v in self._tracks.items()
            if k[0] != fd.camera_id or (ts - v.last_seen).total_seconds() <= gap
        }
        return out

    def _observe(
        self, fd: FrameDetections, zone: Zone, track_id: int, det: Detection, active: bool
    ) -> Outcome | None:
        ts = fd.timestamp
        inside = zone.contains(*det.foot_point)
        key = (fd.camera_id, zone.id, track_id)
        side = self._tracks.get(key)
        if side is None:
            self._tracks[key] = _Side(inside, 1, ts, was_outside=not inside)
            return None
        side.last_seen = ts
        if inside != side.inside:
            side.inside, side.run = inside, 1
        else:
            side.run += 1
        if side.run != self.cfg.min_frames:
            return None
        entering = self.cfg.type == "zone_enter"
        fire = (inside and side.was_outside) if entering else (not inside and side.was_inside)
        if inside:
            side.was_inside = True
        else:
            side.was_outside = True
        if not (fire and active):
            return None
        verb = "entered" if entering else "left"
        return self.open_incident(
            f"{self.cfg.id}/{fd.camera_id}/{zone.id}/t{track_id}/{verb}/{stamp(ts)}",
            fd,
            started_at=ts,
            zone=zone,
            detections=(det,),
            title=f"{det.class_name.capitalize()} {verb} {zone.name} "
            f"({self.camera_name(fd.camera_id)})",
            data={"track_id": track_id, "transition": verb},
        )


def _side_of(
    line: tuple[tuple[float, float], tuple[float, float]], p: tuple[float, float]
) -> float:
    """> 0 right of the line walked from its first point to its second (image y down)."""
    (ax, ay), (bx, by) = line
    return (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)


def _segments_cross(
    line: tuple[tuple[float, float], tuple[float, float]],
    p: tuple[float, float],
    q: tuple[float, float],
) -> bool:
    """Whether the path p -> q (which changes side of the line) passes between its ends."""
    a, b = line
    path = (p, q)
    return _side_of(path, a) * _side_of(path, b) <= 0


@dataclass(slots=True)
class _Crossing:
    foot: tuple[float, float]
    side: float  # sign of the side the track is on, pending crossings aside (never 0)
    last_seen: datetime
    pending: str | None = None  # direction of a crossing awaiting confirmation
    pending_run: int = 0
    pending_at: datetime | None = None
    alerted: set[str] = field(default_factory=set)


class LineCrossingRule(Rule):
    """A track's foot point crosses the rule's `line` in the configured `direction`.

    'in' is from the left to the right of the line walked from its first point to its second
    (image coordinates, y down): for a line drawn left to right, 'in' is moving down the
    picture. A crossing counts once the track has stayed on the new side for `min_frames`
    observations; each track alerts at most once per direction. Only a path through the
    segment is a crossing: a track that walks round an end changes side without alerting,
    and its remembered side follows it.
    """

    def __init__(self, cfg: RuleConfig, ctx: RuleContext) -> None:
        super().__init__(cfg, ctx)
        assert cfg.line is not None  # checked by RuleConfig
        self.line = cfg.line
        self._tracks: dict[tuple[str, int], _Crossing] = {}

    def busy(self, camera_id: str) -> bool:
        return any(key[0] == camera_id for key in self._tracks)

    def evaluate(self, fd: FrameDetections) -> list[Outcome]:
        out: list[Outcome] = []
        ts = fd.timestamp
        active = self.active(ts)
        for track_id, det in tracked(self.candidates(fd)):
            inc = self._observe(fd, track_id, det, active)
            if inc is not None:
                out.append(inc)
        gap = self.cfg.track_gap_s
        self._tracks = {
            k: v
            for k, v in self._tracks.items()
            if k[0] != fd.camera_id or (ts - v.last_seen).total_seconds() <= gap
        }
        return out

    def _observe(
        self, fd: FrameDetections, track_id: int, det: Detection, active: bool
    ) -> Outcome | None:
        ts = fd.timestamp
        foot = det.foot_point
        s = _side_of(self.line, foot)
        key = (fd.camera_id, track_id)
        state = self._tracks.get(key)
        if state is None:
            if s != 0:
                self._tracks[key] = _Crossing(foot, 1.0 if s > 0 else -1.0, ts)
            return None
        state.last_seen = ts
        if s == 0:
            return None
        sign = 1.0 if s > 0 else -1.0
        if state.pending is None:
            if sign != state.side:
                if _segments_cross(self.line, state.foot, foot):
                    state.pending = "in" if sign > 0 else "out"
                    state.pending_run, state.pending_at = 0, ts
                else:
                    # Went round an end of the line: no crossing, but the remembered side
                    # follows the track, or its next real crossing would look like no change.
                    state.side = sign
            state.foot = foot
            if state.pending is None:
                return None
        state.foot = foot
        wanted = 1.0 if state.pending == "in" else -1.0
        if sign != wanted:  # went back before the crossing was confirmed
            state.pending, state.pending_run = None, 0
            return None
        state.pending_run += 1
        if state.pending_run < self.cfg.min_frames:
            return None
        direction, at = state.pending, state.pending_at
        state.pending, state.side = None, sign
        assert direction is not None and at is not None
        if not active or direction in state.alerted:
            return None
        if self.cfg.direction not in ("both", direction):
            return None
        state.alerted.add(direction)
        word = "inward" if direction == "in" else "outward"
        return self.open_incident(
            f"{self.cfg.id}/{fd.camera_id}/t{track_id}/{direction}/{stamp(at)}",
            fd,
            started_at=at,
            zone=None,
            detections=(det,),
            title=f"{det.class_name.capitalize()} crossed {self.cfg.name} {word} "
            f"({self.camera_name(fd.camera_id)})",
            data={"track_id": track_id, "direction": direction},
            outline=self.line,
        )


@dataclass(slots=True)
class _Stay:
    tracks: set[int]
    start: datetime
    last_seen: datetime
    foot: tuple[float, float]
    key: str | None = None
    alerted: bool = False


class LoiteringRule(Rule):
    """A track (or a chain of tracks re-identified across short gaps) stays in a zone for
    `dwell_s`. Gaps up to `track_gap_s` (occlusion) do not reset the time; the incident ends
    (not resolved: someone should look) when the loiterer has been gone that long."""

    def __init__(self, cfg: RuleConfig, ctx: RuleContext) -> None:
        super().__init__(cfg, ctx)
        self._stays: dict[tuple[str, str], list[_Stay]] = {}

    def busy(self, camera_id: str) -> bool:
        return any(key[0] == camera_id and stays for key, stays in self._stays.items())

    def evaluate(self, fd: FrameDetections) -> list[Outcome]:
        out: list[Outcome] = []
        ts = fd.timestamp
        dets = tracked(self.candidates(fd))
        active = self.active(ts)
        for zone in self.ctx.zones.get(fd.camera_id, []):
            stays = self._stays.setdefault((fd.camera_id, zone.id), [])
            seen: set[int] = set()
            for track_id, det in dets:
                if not zone.contains(*det.foot_point):
                    continue
                stay = self._stay_for(stays, track_id, det.foot_point, ts, seen)
                seen.add(id(stay))
                stay.tracks.add(track_id)
                stay.last_seen, stay.foot = ts, det.foot_point
                dwell = (ts - stay.start).total_seconds()
                if not stay.alerted and active and dwell >= self.cfg.dwell_s:
                    stay.alerted = True
                    stay.key = (
                        f"{self.cfg.id}/{fd.camera_id}/{zone.id}/t{track_id}/{stamp(stay.start)}"
                    )
                    inc = self.open_incident(
                        stay.key,
                        fd,
                        started_at=stay.start,
                        zone=zone,
                        detections=(det,),
                        title=f"Loitering in {zone.name} for {dwell / 60:.0f} min "
                        f"({self.camera_name(fd.camera_id)})",
                        data={"track_id": track_id, "dwell_s": round(dwell, 1)},
                    )
                    if inc is None:
                        stay.key = None
                    else:
                        out.append(inc)
            for stay in list(stays):
                if (ts - stay.last_seen).total_seconds() > self.cfg.track_gap_s:
                    stays.remove(stay)
                    if stay.key is not None:
                        out.append(IncidentEnded(stay.key, fd.camera_id, ts))
        return out

    def _stay_for(
        self,
        stays: list[_Stay],
        track_id: int,
        foot: tuple[float, float],
        ts: datetime,
        seen: set[int],
    ) -> _Stay:
        for stay in stays:
            if track_id in stay.tracks:
                return stay
        # A new id: continue a stay whose track was lost recently near here (re-id gap).
        lost = [
            s
            for s in stays
            if id(s) not in seen
            and s.last_seen < ts
            and distance(s.foot, foot) <= REID_DISTANCE
            and (ts - s.last_seen).total_seconds() <= self.cfg.track_gap_s
        ]
        if lost:
            return min(lost, key=lambda s: distance(s.foot, foot))
        stay = _Stay({track_id}, ts, ts, foot)
        stays.append(stay)
        return stay
