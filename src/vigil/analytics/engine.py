"""The rule engine: per camera, turn each frame's detections into incidents.

Each enabled rule of the site becomes one `Rule` object of its kind; `process` hands every
analysed frame to the rules that apply to its camera. Rules keep per-camera state and read
time only from the frames' timestamps, so tests replay hours of site time in milliseconds.
"""

from __future__ import annotations

import logging
from datetime import date

from vigil.analytics.presence import ZoneIntrusionRule
from vigil.analytics.rules import Rule, RuleContext
from vigil.analytics.scene_rules import AbandonedObjectRule, CrowdRule
from vigil.analytics.track_rules import LineCrossingRule, LoiteringRule, ZoneTransitionRule
from vigil.config import RuleConfig, SiteConfig
from vigil.model.incidents import Incident, IncidentEnded
from vigil.model.messages import FrameDetections
from vigil.model.zones import Zone

log = logging.getLogger(__name__)
__all__ = ["RuleEngine", "build_rule"]

_KINDS: dict[str, type[Rule]] = {
    "zone_intrusion": ZoneIntrusionRule,
    "zone_enter": ZoneTransitionRule,
    "zone_exit": ZoneTransitionRule,
    "line_crossing": LineCrossingRule,
    "loitering": LoiteringRule,
    "crowd": CrowdRule,
    "abandoned_object": AbandonedObjectRule,
}
# Kinds that work on the whole picture when a camera has no (selected) zone.
_ZONE_OPTIONAL = {"line_crossing", "abandoned_object"}


def build_rule(rule: RuleConfig, config: SiteConfig) -> Rule:
    cam_ids = [c.id for c in config.cameras] if rule.cameras == "*" else rule.cameras
    zones: dict[str, list[Zone]] = {}
    for cam_id in cam_ids:
        cam = config.camera(cam_id)
        selected = [z for z in cam.zones if not rule.zones or z.id in rule.zones]
        if selected or (rule.type in _ZONE_OPTIONAL and not rule.zones):
            zones[cam_id] = [Zone.from_config(cam_id, z) for z in selected]
    ctx = RuleContext(
        zones=zones,
        cameras=tuple(cam_ids),
        camera_names={c.id: c.name for c in config.cameras},
        schedule=config.schedules[rule.schedule] if rule.schedule else None,
        night=config.schedules[rule.night_schedule] if rule.night_schedule else None,
        tz=config.site.tz,
        holidays=frozenset(date.fromisoformat(d) for d in config.holidays),
        frame_interval_s=config.detection.frame_interval_s,
    )
    return _KINDS[rule.type](rule, ctx)


class RuleEngine:
    """All enabled rules of a site; `process` is called once per analysed frame, in order per
    camera. Not thread-safe: one engine task consumes the detections topic, and `reload` runs
    on that task's event loop between two frames."""

    def __init__(self, config: SiteConfig) -> None:
        self.rules: list[Rule] = []
        self.skipped: tuple[str, ...] = ()
        self.reload(config)

    def reload(self, config: SiteConfig) -> int:
        """Rebuild the rules from `config`. A rule whose settings, zones and schedules are all
        unchanged keeps its object, and so its per-camera state (open incidents, tracks,
        cooldowns); a rule that cannot be built is skipped (listed in `skipped`), never fatal.
        Returns how many rules were rebuilt or added."""
        current = {rule.cfg.id: rule for rule in self.rules}
        rules: list[Rule] = []
        skipped: list[str] = []
        fresh = 0
        for cfg in config.rules:
            if not cfg.enabled:
                continue
            try:
                rule = build_rule(cfg, config)
            except Exception as err:  # a broken rule must never stop the others
                log.exception("rule %s cannot be built; skipped", cfg.id)
                skipped.append(f"rule {cfg.id!r}: cannot be built ({type(err).__name__}: {err})")
                continue
            old = current.get(cfg.id)
            if old is not None and old.cfg == rule.cfg and old.ctx == rule.ctx:
                rules.append(old)
            else:
                rules.append(rule)
                fresh += 1
        self.rules = rules
        self.skipped = tuple(skipped)
        return fresh

    def busy(self, camera_id: str) -> bool:
        """Whether some rule holds state of `camera_id` built from frames already processed:
        replaying from before those frames rebuilds it (see AnalyticsService)."""
        return any(rule.busy(camera_id) for rule in self.rules if rule.applies_to(camera_id))

    def process(self, fd: FrameDetections) -> list[Incident | IncidentEnded]:
        out: list[Incident | IncidentEnded] = []
        for rule in self.rules:
            if rule.applies_to(fd.camera_id):
                out.extend(rule.evaluate(fd))
        return out
