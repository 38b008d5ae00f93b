"""Bus values as bytes, for buses that cross a process boundary (Kafka).

Each value is encoded with a type tag (carried in the `vigil-type` message header): frames as
JPEG plus a small header (`Frame.to_bytes`), everything else as JSON; detections in the
reference architecture's shape (`camera_id`, `timestamp`, `detections[{class, confidence,
bbox, track_id}]`). Times are ISO 8601 with their UTC offset.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np

from vigil.errors import VigilError
from vigil.model.detections import Detection, Detections
from vigil.model.messages import (
    AlertCleared,
    AlertRequest,
    CameraState,
    CameraStatus,
    Frame,
    FrameDetections,
    Heartbeat,
    SegmentInfo,
)

TYPE_HEADER: Final = "vigil-type"


class CodecError(VigilError):
    """A bus value cannot be encoded, or a message's bytes cannot be decoded."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class _Kind:
    tag: str
    cls: type[Any] | None
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=_default).encode()


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _detection(d: dict[str, Any]) -> Detection:
    x1, y1, x2, y2 = (float(v) for v in d["bbox"])
    return Detection(d["class"], float(d["confidence"]), (x1, y1, x2, y2), d.get("track_id"))


def _encode_detections(v: FrameDetections) -> bytes:
    return _dumps(v.to_json())


def _decode_detections(data: bytes) -> FrameDetections:
    d = json.loads(data)
    return FrameDetections(
        camera_id=d["camera_id"],
        timestamp=datetime.fromisoformat(d["timestamp"]),
        seq=int(d["seq"]),
        detections=Detections.from_list([_detection(x) for x in d["detections"]]),
        model=d["model"],
    )


def _encode_segment(v: SegmentInfo) -> bytes:
    return _dumps(
        {
            "camera_id": v.camera_id,
            "key": v.key,
            "start": v.start,
            "end": v.end,
            "size_bytes": v.size_bytes,
            "keyframe_count": v.keyframe_count,
        }
    )


def _decode_segment(data: bytes) -> SegmentInfo:
    d = json.loads(data)
    return SegmentInfo(
        d["camera_id"],
        d["key"],
        datetime.fromisoformat(d["start"]),
        datetime.fromisoformat(d["end"]),
        int(d["size_bytes"]),
        int(d.get("keyframe_count", 0)),
    )


def _encode_status(v: CameraStatus) -> bytes:
    return _dumps({name: getattr(v, name) for name in CameraStatus.__slots__})


def _decode_status(data: bytes) -> CameraStatus:
    d = json.loads(data)
    d["state"] = CameraState(d["state"])
    d["changed_at"] = datetime.fromisoformat(d["changed_at"])
    return CameraStatus(**d)


def _encode_request(v: AlertRequest) -> bytes:
    out = {name: getattr(v, name) for name in AlertRequest.__slots__}
    out["detections"] = [d.to_json() for d in v.detections]
    if v.image is not None:
        import cv2

        ok, jpeg = cv2.imencode(".jpg", v.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok:
            raise CodecError(f"cannot JPEG-encode the image of alert request {v.key}")
        out["image"] = base64.b64encode(jpeg.tobytes()).decode()
    return _dumps(out)


def _decode_request(data: bytes) -> AlertRequest:
    d = json.loads(data)
    d["occurred_at"] = datetime.fromisoformat(d["occurred_at"])
    d["detections"] = tuple(_detection(x) for x in d["detections"])
    if d.get("zone_polygon") is not None:
        d["zone_polygon"] = tuple((float(x), float(y)) for x, y in d["zone_polygon"])
    if d.get("image") is not None:
        import cv2

        raw = np.frombuffer(base64.b64decode(d["image"]), np.uint8)
        d["image"] = cv2.imdecode(raw, cv2.IMREAD_COLOR)
    return AlertRequest(**d)


def _encode_cleared(v: AlertCleared) -> bytes:
    return _dumps({name: getattr(v, name) for name in AlertCleared.__slots__})


def _decode_cleared(data: bytes) -> AlertCleared:
    d = json.loads(data)
    d["cleared_at"] = datetime.fromisoformat(d["cleared_at"])
    return AlertCleared(**d)


def _encode_heartbeat(v: Heartbeat) -> bytes:
    return _dumps({name: getattr(v, name) for name in Heartbeat.__slots__})


def _decode_heartbeat(data: bytes) -> Heartbeat:
    d = json.loads(data)
    d["timestamp"] = datetime.fromisoformat(d["timestamp"])
    return Heartbeat(**d)


_KINDS: Final = (
    _Kind("frame", Frame, lambda v: v.to_bytes(), Frame.from_bytes),
    _Kind("detections", FrameDetections, _encode_detections, _decode_detections),
    _Kind("segment", SegmentInfo, _encode_segment, _decode_segment),
    _Kind("camera-status", CameraStatus, _encode_status, _decode_status),
    _Kind("alert-request", AlertRequest, _encode_request, _decode_request),
    _Kind("alert-cleared", AlertCleared, _encode_cleared, _decode_cleared),
    _Kind("heartbeat", Heartbeat, _encode_heartbeat, _decode_heartbeat),
    _Kind("bytes", bytes, bytes, bytes),
    # Plain JSON last: dicts (alerts), lists, strings, numbers.
    _Kind("json", None, _dumps, json.loads),
)
_BY_TAG: Final = {k.tag: k for k in _KINDS}


def encode(value: Any) -> tuple[str, bytes]:
    """`(type tag, bytes)` of a bus value."""
    for kind in _KINDS:
        if kind.cls is None or isinstance(value, kind.cls):
            try:
                return kind.tag, kind.encode(value)
            except (TypeError, ValueError) as err:
                raise CodecError(
                    f"cannot encode a {type(value).__name__} for the bus: {err}"
                ) from err
    raise AssertionError("unreachable: the json kind accepts everything")


def decode(tag: str, data: bytes) -> Any:
    kind = _BY_TAG.get(tag)
    if kind is None:
        raise CodecError(f"unknown bus value type {tag!r}; expected one of {', '.join(_BY_TAG)}")
    try:
        return kind.decode(data)
    except (ValueError, KeyError, TypeError) as err:
        raise CodecError(f"cannot decode a {tag} bus value: {err}") from err
