"""Values carried on the bus.

In process a `Frame` carries the decoded BGR array; across processes it travels as JPEG bytes
plus a small JSON header (`Frame.to_bytes` / `Frame.from_bytes`). Detections and alerts are JSON
as in the reference architecture.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from vigil.config import Severity
from vigil.model.detections import Detection, Detections

CameraId = str
AlertStatus = Literal["new", "acknowledged", "resolved"]
ALERT_STATUSES: tuple[AlertStatus, ...] = ("new", "acknowledged", "resolved")


class CameraState(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
    AUTH_FAILED = "auth_failed"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class Frame:
    """One analysis frame. `image` is HxWx3 BGR uint8; `timestamp` is the capture time (UTC)."""

    camera_id: CameraId
    timestamp: datetime
    seq: int
    image: npt.NDArray[np.uint8] = field(repr=False)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    def to_bytes(self, quality: int = 85) -> bytes:
        """JPEG plus a length-prefixed JSON header, for buses that cross a process boundary."""
        import cv2

        ok, jpeg = cv2.imencode(".jpg", self.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"could not JPEG-encode frame {self.seq} of {self.camera_id}")
        header = json.dumps(
            {"camera_id": self.camera_id, "timestamp": self.timestamp.isoformat(), "seq": self.seq}
        ).encode()
        return struct.pack(">I", len(header)) + header + jpeg.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Frame:
        import cv2

        (n,) = struct.unpack(">I", data[:4])
        header = json.loads(data[4 : 4 + n])
        image = cv2.imdecode(np.frombuffer(data[4 + n :], np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError("frame payload is not a decodable JPEG")
        return cls(
            camera_id=header["camera_id"],
            timestamp=datetime.fromisoformat(header["timestamp"]),
            seq=int(header["seq"]),
            image=image.astype(np.uint8, copy=False),
        )


@dataclass(frozen=True, slots=True)
class FrameDetections:
    """The detector's answer for one frame; `frame` rides along in process for snapshots."""

    camera_id: CameraId
    timestamp: datetime
    seq: int
    detections: Detections
    model: str
    frame: Frame | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The reference architecture's ai.detections message."""
        return {
            "camera_id": self.camera_id,
            "timestamp": self.timestamp.isoformat(),
            "seq": self.seq,
            "model": self.model,
            "detections": [d.to_json() for d in self.detections],
        }


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """A finished recording segment. `key` is its object key in the video-segments store."""

    camera_id: CameraId
    key: str
    start: datetime
    end: datetime
    size_bytes: int
    keyframe_count: int = 0

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class CameraStatus:
    camera_id: CameraId
    state: CameraState
    detail: str | None
    changed_at: datetime
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    reconnects: int = 0


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert as people see it: the API's alert body (its schema in the OpenAPI document),
    the WebSocket's message and what notifications say."""

    id: str
    camera_id: str
    camera_name: str
    rule_id: str | None
    rule_name: str | None
    type: str
    severity: Severity
    status: AlertStatus
    title: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    event_id: str | None
    snapshot_url: str | None
    # Lifecycle (issue 5): who resolved it, whom it is assigned to, escalation, details.
    resolved_by: str | None = None
    assigned_to: str | None = None
    assigned_at: datetime | None = None
    escalation_level: int = 0
    escalated_at: datetime | None = None
    details: Annotated[dict[str, Any], Field(description="Rule specifics.")] = field(
        default_factory=dict
    )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """Ask the alert path to raise one alert. Any stage may publish it (topic
    `alerts.requests`); rule incidents, camera health and edge heartbeats all use it.

    `key` identifies the incident: one alert per key, ever, so retries and replays are safe.
    `detections` are drawn on the snapshot when `image` is given (normalised xyxy boxes);
    `zone_polygon` (normalised) is outlined too.
    """

    key: str
    camera_id: str
    type: str
    severity: str
    title: str
    occurred_at: datetime
    rule_id: str | None = None
    rule_name: str | None = None
    zone_id: str | None = None
    zone_name: str | None = None
    zone_polygon: tuple[tuple[float, float], ...] | None = None
    detections: tuple[Detection, ...] = ()
    image: npt.NDArray[np.uint8] | None = field(default=None, repr=False)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertCleared:
    """The condition behind incident `key` has cleared (the zone emptied, the camera is back).

    With `resolve`, the alert is resolved automatically (by "system")."""

    key: str
    camera_id: str
    cleared_at: datetime
    resolve: bool = False


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """An edge's periodic sign of life (topic `system.metrics`)."""

    edge_id: str
    timestamp: datetime
    stream_count: int  # streams online
    disk_free: int  # bytes free on the recordings disk
    mem_usage: float  # percent of memory in use
    queue_depth: int | None = None  # items in the edge's uplink queue (None: no uplink)
