"""Bus values as bytes for Kafka: every message type survives the trip; bad bytes are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from vigil.bus import codec
from vigil.model.detections import Detection
from vigil.model.messages import AlertCleared, AlertRequest, CameraState, CameraStatus, Heartbeat

T = datetime(2026, 11, 2, 22, 15, 3, tzinfo=UTC)


def roundtrip(value: object) -> object:
    tag, data = codec.encode(value)
    return codec.decode(tag, data)


def test_camera_status_and_alert_cleared_roundtrip() -> None:
    status = CameraStatus("cam1", CameraState.RECONNECTING, "timeout", T, 25.0, 960, 1080, 3)
    assert roundtrip(status) == status
    cleared = AlertCleared("rule:zone:cam1:1", "cam1", T, resolve=True)
    assert roundtrip(cleared) == cleared


def test_heartbeat_roundtrip() -> None:
    """An edge's heartbeat crosses Kafka (`vigil up` or an edge on a Kafka bus watches its own)."""
    beat = Heartbeat("site-12", T, stream_count=8, disk_free=10**12, mem_usage=41.5, queue_depth=3)
    assert roundtrip(beat) == beat
    assert roundtrip(Heartbeat("site-12", T, 0, 0, 0.0)) == Heartbeat("site-12", T, 0, 0, 0.0)


def test_alert_request_keeps_detections_polygon_and_image() -> None:
    image = np.zeros((32, 48, 3), np.uint8)
    request = AlertRequest(
        key="k1", camera_id="cam1", type="intrusion", severity="high", title="Person in zone",
        occurred_at=T, zone_polygon=((0.1, 0.1), (0.9, 0.1), (0.5, 0.9)),
        detections=(Detection("person", 0.9, (0.1, 0.2, 0.3, 0.4), 3),),
        image=image, data={"count": 1},
    )  # fmt: skip
    got = roundtrip(request)
    assert isinstance(got, AlertRequest)
    assert got.image is not None and got.image.shape == image.shape
    assert got.zone_polygon == request.zone_polygon and got.data == {"count": 1}
    assert got.detections == request.detections and got.occurred_at == T


def test_plain_json_and_bytes() -> None:
    assert roundtrip({"a": [1, 2]}) == {"a": [1, 2]}
    assert roundtrip(b"\x00raw") == b"\x00raw"


def test_bad_input_is_a_codec_error() -> None:
    with pytest.raises(codec.CodecError, match="unknown bus value type 'pickle'"):
        codec.decode("pickle", b"")
    with pytest.raises(codec.CodecError, match="cannot decode a segment"):
        codec.decode("segment", b"{}")
    with pytest.raises(codec.CodecError, match="cannot encode a set"):
        codec.encode({1, 2})
