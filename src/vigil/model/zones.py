"""Zones as prepared polygons in normalised frame coordinates (0..1, origin top-left)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely import prepare
from shapely.geometry import Point, Polygon

from vigil.config import ZoneConfig


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    name: str
    camera_id: str
    polygon_xy: tuple[tuple[float, float], ...]
    criticality: str = "normal"
    _shape: Polygon = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shape = Polygon(self.polygon_xy)
        prepare(shape)
        object.__setattr__(self, "_shape", shape)

    @classmethod
    def from_config(cls, camera_id: str, cfg: ZoneConfig) -> Zone:
        return cls(cfg.id, cfg.name, camera_id, tuple(cfg.polygon), cfg.criticality)

    def contains(self, x: float, y: float) -> bool:
        """Whether the normalised point lies inside or on the boundary of the zone."""
        return bool(self._shape.covers(Point(x, y)))
