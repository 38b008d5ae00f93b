"""The whole of site.yaml (`SiteConfig`), its `site:` section, and the references between
sections (rule -> camera, zone, schedule; camera -> DVR channel)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from vigil.config.alerts import AlertsConfig
from vigil.config.base import (
    Base,
    CrossReferenceErrors,
    Slug,
    as_list,
)
from vigil.config.cameras import CameraConfig, DvrSection
from vigil.config.detection import (
    DetectionConfig,
)
from vigil.config.recording import CameraHealthConfig, RecordingConfig
from vigil.config.rules import RuleConfig, ScheduleConfig
from vigil.config.security import SecurityConfig
from vigil.config.storage import StorageConfig
from vigil.config.uplink import UplinkConfig


class SiteSection(Base):
    id: Slug = Field(title="Site id", description="Stable identifier of the site.")
    name: str = Field(title="Site name", min_length=1)
    timezone: str = Field(
        "UTC", title="Time zone", description="IANA zone in which schedules are evaluated."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Asia/Kolkata')"
            ) from err
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SiteConfig(Base):
    site: SiteSection
    dvr: DvrSection
    cameras: list[CameraConfig] = Field(min_length=1)
    schedules: dict[str, ScheduleConfig] = Field(default_factory=dict)
    holidays: list[str] = Field(default_factory=list, description="Dates YYYY-MM-DD.")
    rules: list[RuleConfig] = Field(default_factory=list)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    recording: RecordingConfig = Field(default_factory=RecordingConfig)
    camera_health: CameraHealthConfig = Field(default_factory=CameraHealthConfig)
    alerts: AlertsConfig = Field(
        default_factory=AlertsConfig, description="Escalation and notifications (issue 5)."
    )
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    storage: StorageConfig = Field(
        default_factory=StorageConfig, description="S3 lifecycle tiers (cluster)."
    )
    uplink: UplinkConfig | None = Field(
        None,
        description="The hub this site sends its events, alerts, heartbeats and recordings "
        "to (required by `vigil edge`, unused otherwise).",
    )

    @model_validator(mode="after")
    def _cross_references(self) -> SiteConfig:
        errors = cross_check(self.model_dump(mode="python"))
        if errors:
            raise CrossReferenceErrors(errors)
        return self

    def camera(self, camera_id: str) -> CameraConfig:
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(camera_id)


def cross_check(data: dict[str, Any]) -> list[tuple[str, str]]:
    """References between sections (rule -> camera, zone, schedule; camera -> DVR channel).

    Works on the raw document too, so these errors are reported alongside field errors.
    """
    errors: list[tuple[str, str]] = []
    raw_dvr = data.get("dvr")
    dvr: dict[str, Any] = raw_dvr if isinstance(raw_dvr, dict) else {}
    channels = dvr.get("channels", 8)
    cameras = [c for c in as_list(data.get("cameras")) if isinstance(c, dict)]
    seen: dict[str, int] = {}
    for i, cam in enumerate(cameras):
        cam_id = cam.get("id")
        if isinstance(cam_id, str):
            if cam_id in seen:
                errors.append(
                    (
                        f"cameras[{i}].id",
                        f"duplicate camera id {cam_id!r} (also cameras[{seen[cam_id]}])",
                    )
                )
            seen.setdefault(cam_id, i)
        channel = cam.get("channel")
        if (
            cam.get("url") is None
            and isinstance(channel, int)
            and isinstance(channels, int)
            and channel > channels
        ):
            errors.append(
                (
                    f"cameras[{i}].channel",
                    f"channel {channel} does not exist: the DVR has {channels} channels",
                )
            )
    zones = {
        c.get("id"): {z.get("id") for z in as_list(c.get("zones")) if isinstance(z, dict)}
        for c in cameras
    }
    raw_schedules = data.get("schedules")
    schedules: dict[str, Any] = raw_schedules if isinstance(raw_schedules, dict) else {}
    for i, rule in enumerate(as_list(data.get("rules"))):
        if not isinstance(rule, dict):
            continue
        schedule = rule.get("schedule")
        if schedule is not None and schedule not in schedules:
            errors.append(
                (
                    f"rules[{i}].schedule",
                    f"unknown schedule {schedule!r}; defined: "
                    f"{', '.join(sorted(schedules)) or 'none'}",
                )
            )
        night = rule.get("night_schedule")
        if night is not None and night not in schedules:
            errors.append((f"rules[{i}].night_schedule", f"unknown schedule {night!r}"))
        rule_cams = rule.get("cameras", "*")
        cams = list(zones) if rule_cams == "*" else as_list(rule_cams)
        for j, cam_id in enumerate(cams):
            if cam_id not in zones:
                errors.append((f"rules[{i}].cameras[{j}]", f"unknown camera {cam_id!r}"))
        for j, zone_id in enumerate(as_list(rule.get("zones"))):
            if not any(zone_id in zones.get(c, set()) for c in cams):
                errors.append(
                    (
                        f"rules[{i}].zones[{j}]",
                        f"zone {zone_id!r} is not defined on any of the rule's cameras",
                    )
                )
    if any(c.get("url") is None for c in cameras) and dvr.get("password") in (None, ""):
        errors.append(
            (
                "dvr.password",
                "missing: the DVR needs a password (set it in the file "
                "or as ${VIGIL_DVR_PASSWORD})",
            )
        )
    return errors
