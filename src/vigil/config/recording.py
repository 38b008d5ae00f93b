"""The `recording:` and `camera_health:` sections."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

from vigil.config.base import (
    Base,
)


class RecordingConfig(Base):
    segment_s: float = Field(
        10.0, ge=2.0, le=300.0, description="Segment length, seconds (cut on the next keyframe)."
    )
    retain_days: float = Field(
        7.0, gt=0, description="Segments older than this are removed (ring buffer)."
    )
    min_free_percent: float = Field(
        10.0,
        ge=0.0,
        le=90.0,
        description="Free-space floor of the recordings disk: below it the oldest segments "
        "are removed and the disk alert is raised.",
    )
    ingest_processes: int | Literal["auto"] = Field(
        "auto",
        description="Processes that pull and record the cameras: 0 = all in the main "
        "process; N = N child processes sharing the cameras (a child that dies is restarted "
        "and its cameras resume recording); 'auto' = in the main process up to 16 cameras, "
        "beyond that one child per 16 cameras, at most one per CPU.",
    )

    @field_validator("ingest_processes", mode="before")
    @classmethod
    def _processes(cls, value: object) -> object:
        # One clear message instead of one per member of the union.
        if isinstance(value, str) and value.isdigit():  # from "${VAR}" interpolation
            value = int(value)
        if value == "auto" or (type(value) is int and 0 <= value <= 256):
            return value
        raise ValueError(f"must be 'auto' or a whole number from 0 to 256, got {value!r}")


class CameraHealthConfig(Base):
    """Camera health alerts judged from the pictures themselves (`vigil.edge.camera_health`)."""

    frozen_after_s: float = Field(
        60.0,
        ge=5.0,
        le=86400.0,
        description="A picture that stays the same (within sensor and coding noise) this "
        "long, seconds of frame time, raises `camera_frozen` (a stuck encoder or a replayed "
        "still); it resolves when the picture moves again.",
    )
