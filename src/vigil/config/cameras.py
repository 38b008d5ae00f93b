"""The `dvr:` section and the cameras on it (or given by URL), with their zones and motion masks."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from vigil.config.base import (
    NO_SOURCE,
    Base,
    CrossReferenceErrors,
    Slug,
    refuse_duplicates,
)


class DvrSection(Base):
    model: str = Field("CP-UVR-0801E1-CV2", title="DVR model")
    host: str = Field(title="DVR address", min_length=1, description="IP or host name.")
    rtsp_port: int = Field(554, ge=1, le=65535, title="RTSP port")
    username: str = Field(title="DVR user", min_length=1)
    password: SecretStr | None = Field(
        None,
        title="DVR password",
        description="Give it as ${VIGIL_DVR_PASSWORD} to keep it out of the file.",
    )
    channels: int = Field(8, ge=1, le=128, title="Channel count")


class ZoneConfig(Base):
    id: Slug
    name: str = Field(min_length=1)
    polygon: list[tuple[float, float]] = Field(
        title="Polygon",
        description="Vertices as [x, y] normalised to the frame: 0..1, origin top-left.",
    )
    criticality: Literal["low", "normal", "high", "critical"] = "normal"

    @field_validator("polygon")
    @classmethod
    def _valid_polygon(cls, pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if len(pts) < 3:
            raise ValueError("needs at least 3 points")
        for i, (x, y) in enumerate(pts):
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(
                    f"point {i} ({x}, {y}) is outside the frame; coordinates are normalised to 0..1"
                )
        poly = Polygon(pts)
        if not poly.is_valid:
            raise ValueError(f"is not a simple polygon ({explain_validity(poly)})")
        if poly.area <= 0:
            raise ValueError("has no area")
        return pts


class CameraConfig(Base):
    id: Slug
    name: str = Field(min_length=1)
    channel: int | None = Field(
        None,
        ge=1,
        title="DVR channel (1-based)",
        description="Required for a camera on the DVR; leave it out for a camera given by url.",
    )
    stream: Literal[0, 1] = Field(0, description="0 = main stream, 1 = sub stream.")
    enabled: bool = True
    url: SecretStr | None = Field(
        None,
        description="Full RTSP URL for a camera not on the DVR (then channel is not needed); "
        "overrides channel/stream.",
    )
    zones: list[ZoneConfig] = Field(default_factory=list)
    motion_masks: list[list[tuple[float, float]]] = Field(
        default_factory=list,
        description="Polygons (normalised [x, y], >= 3 points) whose pixels never count as "
        "motion, e.g. a timestamp overlay or a flag.",
    )
    display_aspect: Literal["auto", "16:9", "4:3", "native"] = Field(
        "auto",
        description="Shape to show the picture in. DVRs send 960x1080 ('1080N') or 480x540 "
        "pictures of a 16:9 scene squeezed to half width; 'auto' shows those at 16:9 and "
        "anything else as sent.",
    )

    @field_validator("motion_masks")
    @classmethod
    def _valid_masks(
        cls, masks: list[list[tuple[float, float]]]
    ) -> list[list[tuple[float, float]]]:
        for i, pts in enumerate(masks):
            if len(pts) < 3:
                raise ValueError(f"mask {i} needs at least 3 points")
            if any(not (0.0 <= v <= 1.0) for pt in pts for v in pt):
                raise ValueError(f"mask {i} has a point outside 0..1 (coordinates are normalised)")
        return masks

    @model_validator(mode="after")
    def _unique_zones(self) -> CameraConfig:
        if self.channel is None and self.url is None:
            raise CrossReferenceErrors([("channel", NO_SOURCE)])
        refuse_duplicates((z.id for z in self.zones), "zones", "zone id")
        return self

    @property
    def dvr_channel(self) -> int:
        """The DVR channel of a camera without its own `url` (validation guarantees one)."""
        if self.channel is None:
            raise ValueError(f"camera {self.id} has no DVR channel (it is given by url)")
        return self.channel
