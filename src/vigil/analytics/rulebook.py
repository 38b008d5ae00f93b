"""Zones and rules from two places, site.yaml and the API, checked exactly as the file is
checked and merged into the effective site configuration the rule engine runs.

Paths in problems are relative to one zone or rule (``zones[0]``, ``polygon``), so the API
can report them against the request body and the engine against the stored row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from vigil.config import RuleConfig, SiteConfig, ZoneConfig, cross_check, validation_errors

Problem = tuple[str, str]  # (path within the zone or rule, message)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Effective:
    """The site configuration with the API's zones and rules added; `problems` says which
    stored ones were left out and why (a rule naming a zone the file no longer has)."""

    config: SiteConfig
    problems: tuple[str, ...] = field(default=())
    api_rules: int = 0
    api_zones: int = 0


def describe(problems: Iterable[Problem]) -> str:
    return "; ".join(f"{path}: {message}" for path, message in problems)


def parse(model: type[M], data: Mapping[str, Any]) -> tuple[M | None, list[Problem]]:
    """Validate `data` as `model` (ZoneConfig, RuleConfig), with the file's error wording."""
    try:
        return model.model_validate(data), []
    except ValidationError as err:
        return None, validation_errors(err.errors(include_url=False, include_input=False))


def check_zone(config: SiteConfig, camera_id: str) -> list[Problem]:
    """A zone belongs to a camera of site.yaml (cameras are defined only there)."""
    cameras = [c.id for c in config.cameras]
    if camera_id in cameras:
        return []
    return [("camera_id", f"unknown camera {camera_id!r}; cameras: {', '.join(cameras)}")]


def check_rule(
    config: SiteConfig, zones: Mapping[str, Iterable[str]], rule: RuleConfig
) -> list[Problem]:
    """A rule's references (cameras, zones on those cameras, schedules), checked by the same
    `cross_check` as the file; `zones` maps every camera id to all of its zone ids."""
    document = {
        # Only the rule is judged: the DVR section is given as complete.
        "dvr": {"channels": config.dvr.channels, "password": "set"},
        "cameras": [
            {"id": cam_id, "url": "set", "zones": [{"id": z} for z in ids]}
            for cam_id, ids in zones.items()
        ],
        "schedules": {name: {} for name in config.schedules},
        "rules": [rule.model_dump(mode="python")],
    }
    prefix = "rules[0]."
    return [
        (path.removeprefix(prefix), message)
        for path, message in cross_check(document)
        if path.startswith(prefix)
    ]


def zone_ids(config: SiteConfig, extra: Iterable[tuple[str, str]] = ()) -> dict[str, list[str]]:
    """Every camera's zone ids: the file's, plus `extra` (camera id, zone id) pairs."""
    out = {cam.id: [z.id for z in cam.zones] for cam in config.cameras}
    for cam_id, zone_id in extra:
        if cam_id in out and zone_id not in out[cam_id]:
            out[cam_id].append(zone_id)
    return out


def uses_zone(rule: RuleConfig, camera_id: str, zone_id: str) -> bool:
    """Whether `rule` names the zone explicitly on a camera it applies to."""
    on_camera = rule.cameras == "*" or camera_id in rule.cameras
    return on_camera and zone_id in rule.zones


def merge(
    config: SiteConfig,
    zones: Sequence[tuple[str, ZoneConfig]],
    rules: Sequence[RuleConfig],
    problems: Sequence[str] = (),
) -> Effective:
    """The file's zones and rules plus the API's. The file wins a clash of ids; an API zone on
    a camera the file dropped, or an API rule whose references broke, is left out with a
    problem instead of stopping the others."""
    found = list(problems)
    by_camera = {cam.id: list(cam.zones) for cam in config.cameras}
    added_zones = 0
    for cam_id, zone in zones:
        if cam_id not in by_camera:
            found.append(f"zone {cam_id}/{zone.id}: camera {cam_id!r} is not in site.yaml; skipped")
        elif all(z.id != zone.id for z in by_camera[cam_id]):
            by_camera[cam_id].append(zone)
            added_zones += 1
    ids = {cam_id: [z.id for z in zs] for cam_id, zs in by_camera.items()}
    file_rules = {r.id for r in config.rules}
    kept = list(config.rules)
    for rule in rules:
        if rule.id in file_rules:
            continue
        broken = check_rule(config, ids, rule)
        if broken:
            found.append(f"rule {rule.id!r}: {describe(broken)}; skipped")
        else:
            kept.append(rule)
    cameras = [cam.model_copy(update={"zones": by_camera[cam.id]}) for cam in config.cameras]
    merged = config.model_copy(update={"cameras": cameras, "rules": kept})
    return Effective(merged, tuple(found), len(kept) - len(config.rules), added_zones)
