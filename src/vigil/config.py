"""The site configuration (`site.yaml`) as pydantic models, and loading with precise errors.

Every model forbids unknown keys; every error is reported with its path, e.g.
``cameras[2].zones[0].polygon: needs at least 3 points``. Secrets may be given as
``${ENV_VAR}`` and are held as `SecretStr`, so they never reach logs or error messages.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import re
from collections.abc import Iterable
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from vigil.alerts.config import AlertsConfig
from vigil.errors import ConfigError

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="lower-case letters, digits, '-' and '_' (max 63), starting with a letter "
        "or digit",
    ),
]
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")
RuleType = Literal[
    "zone_intrusion",
    "zone_enter",
    "zone_exit",
    "line_crossing",
    "loitering",
    "crowd",
    "abandoned_object",
]
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


ALL_DAYS = tuple(Weekday)


class Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
            raise _CrossReferenceErrors([("channel", _NO_SOURCE)])
        _refuse_duplicates((z.id for z in self.zones), "zones", "zone id")
        return self

    @property
    def dvr_channel(self) -> int:
        """The DVR channel of a camera without its own `url` (validation guarantees one)."""
        if self.channel is None:
            raise ValueError(f"camera {self.id} has no DVR channel (it is given by url)")
        return self.channel


class WindowConfig(Base):
    """One window of a weekly calendar; `start > end` wraps past midnight."""

    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS))
    start: time
    end: time

    @model_validator(mode="after")
    def _window(self) -> WindowConfig:
        if self.start == self.end:
            raise ValueError("start and end are equal")
        return self


class ScheduleConfig(Base):
    """A weekly time window in the site's time zone; `start > end` wraps past midnight.

    `windows` makes a weekly calendar (several windows, e.g. weekday nights and all weekend);
    `holidays` decides what the site's holiday dates do: follow the windows, switch the
    schedule off, or make it active all day."""

    always: bool = False
    start: time | None = None
    end: time | None = None
    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS))
    holidays_off: bool = False
    windows: list[WindowConfig] = Field(default_factory=list)
    holidays_all_day: bool = Field(False, description="Active all day on holiday dates.")

    @model_validator(mode="after")
    def _window(self) -> ScheduleConfig:
        if self.always or self.windows:
            return self
        if self.start is None or self.end is None:
            raise ValueError("give both start and end (HH:MM), or always: true")
        if self.start == self.end:
            raise ValueError("start and end are equal; use always: true for all day")
        return self


class RuleConfig(Base):
    id: Slug
    name: str = Field(min_length=1)
    type: RuleType = Field(
        "zone_intrusion",
        description="zone_intrusion (presence), zone_enter, zone_exit, line_crossing, "
        "loitering, crowd, abandoned_object; see the rules reference in README.md.",
    )
    cameras: list[str] | Literal["*"] = "*"
    zones: list[str] = Field(
        default_factory=list, description="Zone ids; empty means every zone of the camera."
    )
    classes: list[str] = Field(default_factory=lambda: ["person"], min_length=1)
    schedule: str | None = Field(None, description="Name in `schedules`; none = always.")
    severity: Severity = "high"
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    min_frames: int = Field(
        2, ge=1, description="Analysed frames a person must be seen in before it counts."
    )
    clear_after_s: float = Field(
        30.0, gt=0, description="Seconds with nobody in the zone that end an incident."
    )
    enabled: bool = True
    # Rule kinds beyond presence (issue 5); each field is ignored by the kinds it does not name.
    line: tuple[tuple[float, float], tuple[float, float]] | None = Field(
        None, description="line_crossing: [[x1, y1], [x2, y2]] normalised 0..1, origin top-left."
    )
    direction: Literal["in", "out", "both"] = Field(
        "both",
        description="line_crossing: 'in' = from the left to the right of the line walked from "
        "its first point to its second (image y down), 'out' the reverse.",
    )
    dwell_s: float = Field(300.0, gt=0, description="loitering: seconds in the zone.")
    track_gap_s: float = Field(
        30.0, ge=0, description="Seconds a track may be unseen (occlusion, re-id) and continue."
    )
    min_people: int = Field(6, ge=2, description="crowd: people in the zone at once.")
    min_duration_s: float = Field(
        10.0, ge=0, description="crowd: seconds the count must hold before it alerts."
    )
    still_s: float = Field(
        60.0, gt=0, description="abandoned_object: seconds still with nobody near."
    )
    near_distance: float = Field(
        0.15, gt=0, le=1, description="abandoned_object: normalised distance that counts as near."
    )
    cooldown_s: float = Field(
        0.0, ge=0, description="Seconds after an alert in which this rule stays quiet per camera."
    )
    night_schedule: str | None = Field(
        None, description="Schedule name of night mode: raises severity, may lower thresholds."
    )
    night_min_confidence: float | None = Field(None, ge=0.0, le=1.0)
    score_severity: bool = Field(
        True, description="Adjust severity by zone criticality, night, repeats and confidence."
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> RuleConfig:
        if self.type == "line_crossing":
            if self.line is None:
                raise _CrossReferenceErrors([("line", "required for a line_crossing rule")])
            (x1, y1), (x2, y2) = self.line
            if not all(0.0 <= v <= 1.0 for v in (x1, y1, x2, y2)):
                raise _CrossReferenceErrors([("line", "points are normalised to 0..1")])
            if (x1, y1) == (x2, y2):
                raise _CrossReferenceErrors([("line", "the two points are equal")])
        if self.type == "abandoned_object" and "person" in self.classes:
            raise _CrossReferenceErrors(
                [("classes", "an abandoned object is not a person (e.g. [backpack, suitcase])")]
            )
        return self


class MotionConfig(Base):
    """The motion gate: the detector runs only where something moved (see vision/motion.py)."""

    enabled: bool = Field(True, description="False runs the detector on every whole frame.")
    threshold: int = Field(20, ge=1, le=255, description="Grey-level change that is motion.")
    min_area: float = Field(
        0.0004, ge=0.0, le=0.5, description="Smallest moving blob, fraction of the frame."
    )
    recalibrate_fraction: float = Field(
        0.35,
        gt=0.0,
        le=1.0,
        description="Changed share of the picture taken as a light change (IR switch, "
        "headlights): the background is reset and the whole frame is checked.",
    )
    full_frame_every_s: float = Field(
        10.0, gt=0.0, description="Longest time between whole-frame checks (still people)."
    )


class ClassFilterConfig(Base):
    """False-positive filter for one class."""

    min_confidence: float = Field(0.5, ge=0.0, le=1.0, description="Least score to start a track.")
    min_area: float = Field(0.0, ge=0.0, le=1.0, description="Smallest box, fraction of frame.")
    max_area: float = Field(1.0, ge=0.0, le=1.0, description="Largest box, fraction of frame.")
    min_track_frames: int = Field(
        2, ge=1, description="Frames a track must be seen in before its detections are published."
    )


class TrackerConfig(Base):
    """Multi-object tracking (ByteTrack) after detection."""

    lost_track_s: float = Field(
        5.0, gt=0.0, description="Seconds a track survives unseen (occlusions)."
    )
    low_confidence: float = Field(
        0.3, ge=0.05, le=1.0, description="Weaker detections down to this only extend tracks."
    )
    stationary_window_s: float = Field(
        10.0, gt=0.0, description="Window over which a track that has not moved is stationary."
    )


class FacesConfig(Base):
    """Face embeddings for search: one per person track, from its best face."""

    enabled: bool = Field(
        False,
        description="Detect (YuNet), judge, align and embed (SFace, 128-d stored as 512-d) the "
        "best face of each person track into face_embeddings. Costs ~10-20 ms per try and "
        "~60-100 ms per embedded face on one CPU core.",
    )
    every_s: float = Field(2.0, gt=0.0, description="Least time between face tries per track.")
    max_tries: int = Field(5, ge=1, description="Face tries per track.")
    match_threshold: float = Field(
        0.4,
        gt=0.0,
        le=1.0,
        description="Cosine similarity from which a camera face is taken as an enrolled "
        "person's (the default threshold of new watchlists).",
    )
    watchlist_clear_s: float = Field(
        120.0,
        gt=0.0,
        description="A watchlist person not matched again on a camera for this long ends the "
        "visit (the alert is marked cleared); a later match is a new alert.",
    )


class CandidatesConfig(Base):
    """Uncertain detections saved as training candidates (frame JPEG + inference JSON)."""

    enabled: bool = Field(True, description="Save uncertain frames to the training-data store.")
    low: float = Field(0.3, ge=0.0, le=1.0, description="Lowest score that counts as uncertain.")
    high: float = Field(0.6, ge=0.0, le=1.0, description="Scores from here up are confident.")
    min_interval_s: float = Field(
        60.0, ge=0.0, description="At most one candidate frame per camera in this many seconds."
    )


class DetectionConfig(Base):
    model: Literal["ssdlite-person", "nanodet-g", "yolo"] = Field(
        "ssdlite-person",
        description="ssdlite-person: the shipped person model; nanodet-g: the shipped COCO "
        "model, returning people, vehicles and bags; yolo: a YOLOv8/YOLO11 ONNX export (80 COCO "
        "classes) given by model_path.",
    )
    model_path: Path | None = None
    min_confidence: float = Field(0.5, ge=0.05, le=1.0)
    frame_interval_s: float = Field(1.0, ge=0.1, le=60.0)
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads per session.")
    workers: int = Field(1, ge=1, le=16, description="Parallel detector sessions.")
    motion: MotionConfig = Field(default_factory=MotionConfig)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    faces: FacesConfig = Field(default_factory=FacesConfig)
    candidates: CandidatesConfig = Field(default_factory=CandidatesConfig)
    filters: dict[str, ClassFilterConfig] = Field(
        default_factory=dict,
        description="Per-class false-positive filters by class name; classes not listed use "
        "min_confidence above and a minimum track age of 2 frames.",
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


class UplinkConfig(Base):
    """Where and how an edge sends its records to the hub (`vigil edge`; issue 8)."""

    hub_url: str = Field(
        title="Hub URL",
        description="Base URL of the hub's API, https only, e.g. https://hub.example.net:8443.",
    )
    api_key: SecretStr = Field(
        title="Edge API key",
        description="A hub API key named 'edge <site id>'. Give it as ${VIGIL_UPLINK_API_KEY}.",
    )
    ca_file: Path | None = Field(
        None, title="CA file", description="PEM bundle that signs the hub's certificate, when "
        "it is not from a public CA. TLS verification is always on.",
    )  # fmt: skip
    queue_path: Path = Field(
        Path("uplink-queue.sqlite3"),
        title="Queue file",
        description="The durable local queue; a relative path is under the data directory.",
    )
    max_items: int = Field(100_000, ge=10, description="Items the queue holds at most.")
    max_bytes: int = Field(256 << 20, ge=1 << 16, description="Bytes of records at most.")
    batch_items: int = Field(200, ge=1, le=1000, description="Records per request to the hub.")
    timeout_s: float = Field(30.0, gt=0, description="Per request to the hub.")
    backoff_initial_s: float = Field(1.0, gt=0, description="First retry delay after a failure.")
    backoff_max_s: float = Field(60.0, gt=0, description="Longest retry delay.")

    @field_validator("hub_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://") or len(value) <= len("https://"):
            raise ValueError(
                f"must be an https:// URL (the uplink never sends in clear): {value!r}"
            )
        return value.rstrip("/")


BucketName = Literal["video-segments", "snapshots", "clips", "training-data", "persons"]


class TierConfig(Base):
    """When one bucket's objects move to cheaper storage and when they are deleted (S3
    lifecycle rules, applied by the service itself; unused on the local disk)."""

    infrequent_after_days: int | None = Field(
        None, ge=1, description="Days after which objects move to infrequent access."
    )
    archive_after_days: int | None = Field(
        None, ge=1, description="Days after which objects move to archive storage."
    )
    expire_after_days: int | None = Field(
        None, ge=1, description="Days after which objects are deleted."
    )
    infrequent_class: str = Field(
        "STANDARD_IA", min_length=1, description="The service's infrequent-access class."
    )
    archive_class: str = Field("GLACIER", min_length=1, description="The service's archive class.")

    @model_validator(mode="after")
    def _in_order(self) -> TierConfig:
        steps = [
            (name, days)
            for name, days in (
                ("infrequent_after_days", self.infrequent_after_days),
                ("archive_after_days", self.archive_after_days),
                ("expire_after_days", self.expire_after_days),
            )
            if days is not None
        ]
        for (a, a_days), (b, b_days) in itertools.pairwise(steps):
            if b_days <= a_days:
                raise ValueError(f"{b} ({b_days}) must be more than {a} ({a_days})")
        return self


class StorageConfig(Base):
    """Object storage of the hub, the workers and `vigil up` when VIGIL_S3_ENDPOINT is set."""

    tiers: dict[BucketName, TierConfig] = Field(
        default_factory=dict,
        description="Lifecycle tiers per bucket, e.g. video-segments: {archive_after_days: "
        "30, expire_after_days: 365}. Set on the S3 buckets at start.",
    )


class SecurityConfig(Base):
    """Sign-in and API protection."""

    require_admin_mfa: bool = Field(
        True,
        description="Admins must enrol an authenticator app before they can do anything else.",
    )
    anonymous_requests_per_minute: int = Field(
        100, ge=1, description="Per client address, for calls without credentials."
    )
    api_key_requests_per_minute: int = Field(1000, ge=1, description="Per API key.")
    uplink_requests_per_minute: int = Field(
        6000,
        ge=1,
        description="Per edge API key on /api/v1/ingest: an edge catching up after an outage "
        "sends one request per recorded segment (about 3 400 for an hour of 8 cameras).",
    )
    session_requests_per_minute: int = Field(
        3000, ge=1, description="Per signed-in session (the dashboard polls live tiles)."
    )
    redis_url: SecretStr | None = Field(
        None, description="Share rate-limit counters across API replicas (cluster)."
    )
    metrics_token: SecretStr | None = Field(
        None,
        title="Metrics bearer token",
        description="Prometheus sends it as 'Authorization: Bearer <token>' to /metrics (give "
        "it as ${VIGIL_METRICS_TOKEN}). /metrics names every camera, so it is never public: "
        "without this token only an admin's access token or API key may read it.",
    )
    max_body_bytes: int = Field(
        1 << 20,
        ge=4096,
        title="Largest request body",
        description="Bytes, for any request; over it the answer is 413. Uploads have their own "
        "caps (photos 10 MB each, edge segments 1 GiB, clips to verify 4 GiB).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        title="Trusted reverse proxies",
        description="Addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8) of the reverse proxies "
        "in front of Vigil whose X-Forwarded-For and X-Forwarded-Proto are believed. Empty (the "
        "default): the headers are ignored and the client is the connection's peer, so nobody "
        "can pick their own address for rate limits and the audit log.",
    )
    api_docs: bool = Field(
        False,
        title="Public API docs",
        description="Serve the interactive API docs (/api/docs) and the OpenAPI schema "
        "(/api/openapi.json) to anyone who can reach the site. Off: neither is served.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for i, item in enumerate(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as err:
                raise ValueError(
                    f"[{i}]: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from err
        return value


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
            raise _CrossReferenceErrors(errors)
        return self

    def camera(self, camera_id: str) -> CameraConfig:
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(camera_id)


_NO_SOURCE = "missing: a camera on the DVR needs its channel (1-based); one that is not needs url"


class _CrossReferenceErrors(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in errors))
        self.errors = errors


def _refuse_duplicates(ids: Iterable[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            raise _CrossReferenceErrors([(f"{field}[{i}].id", f"duplicate {what} {value!r}")])
        seen.add(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def cross_check(data: dict[str, Any]) -> list[tuple[str, str]]:
    """References between sections (rule -> camera, zone, schedule; camera -> DVR channel).

    Works on the raw document too, so these errors are reported alongside field errors.
    """
    errors: list[tuple[str, str]] = []
    raw_dvr = data.get("dvr")
    dvr: dict[str, Any] = raw_dvr if isinstance(raw_dvr, dict) else {}
    channels = dvr.get("channels", 8)
    cameras = [c for c in _as_list(data.get("cameras")) if isinstance(c, dict)]
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
        c.get("id"): {z.get("id") for z in _as_list(c.get("zones")) if isinstance(z, dict)}
        for c in cameras
    }
    raw_schedules = data.get("schedules")
    schedules: dict[str, Any] = raw_schedules if isinstance(raw_schedules, dict) else {}
    for i, rule in enumerate(_as_list(data.get("rules"))):
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
        cams = list(zones) if rule_cams == "*" else _as_list(rule_cams)
        for j, cam_id in enumerate(cams):
            if cam_id not in zones:
                errors.append((f"rules[{i}].cameras[{j}]", f"unknown camera {cam_id!r}"))
        for j, zone_id in enumerate(_as_list(rule.get("zones"))):
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


def format_loc(loc: Iterable[int | str]) -> str:
    """('cameras', 2, 'zones', 0, 'polygon') -> 'cameras[2].zones[0].polygon'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or part in ("tagged-union", "literal['*']"):
            continue  # pydantic's internal union branch names mean nothing to a user
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _errors_of(err: ValidationError) -> list[tuple[str, str]]:
    return validation_errors(err.errors(include_url=False, include_input=False))


def validation_errors(items: Iterable[Any]) -> list[tuple[str, str]]:
    """`(path, message)` pairs of pydantic error items (`ValidationError.errors()`), worded as
    `vigil config check` words them; the API reports zones and rules the same way."""
    errors: list[tuple[str, str]] = []
    for item in items:
        ctx_err = (item.get("ctx") or {}).get("error")
        if isinstance(ctx_err, _CrossReferenceErrors):
            prefix = format_loc(item["loc"])
            for path, msg in ctx_err.errors:
                full = path if prefix == "(top level)" else f"{prefix}.{path}"
                errors.append((full, msg))
            continue
        loc = format_loc(item["loc"])
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "string_pattern_mismatch" and loc.endswith("id"):
            msg = (
                "must be lower-case letters, digits, '-' or '_' (max 63), starting with a "
                "letter or digit"
            )
        elif item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the config reference)"
        elif item["type"] == "missing":
            msg = "missing (required)"
        errors.append((loc, msg))
    # A union (e.g. cameras: list | "*") reports each branch; keep one line per path+message.
    return list(dict.fromkeys(errors))


def _interpolate(node: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    """Replace "${VAR}" strings with the environment's value."""
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else str(k), errors) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_interpolate(v, f"{path}[{i}]", errors) for i, v in enumerate(node)]
    if isinstance(node, str) and (m := _ENV_REF.match(node)):
        value = os.environ.get(m.group(1))
        if value is None:
            errors.append((path, f"environment variable {m.group(1)} is not set"))
        return value
    return node


def parse_config(data: Any, source: str = "site.yaml") -> SiteConfig:
    """Validate an already-parsed YAML document; raises ConfigError listing every problem."""
    errors: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise ConfigError(
            source, [("(top level)", "expected a mapping of sections (site, dvr, cameras, …)")]
        )
    data = _interpolate(data, "", errors)
    try:
        config = SiteConfig.model_validate(data)
    except ValidationError as err:
        errors.extend(_errors_of(err))
        # Field errors stop the model validator; report broken references as well.
        errors.extend(e for e in cross_check(data) if e not in errors)
        raise ConfigError(source, errors) from None
    if errors:
        raise ConfigError(source, errors)
    return config


def load_config(path: Path) -> SiteConfig:
    """Read and validate `path`; raises ConfigError naming the file and every error's path."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(str(path), [("(file)", f"cannot read: {err.strerror}")]) from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(str(path), [(where, f"not valid YAML: {problem}")]) from None
    return parse_config(data, str(path))
