"""Topic names, as in the reference architecture."""

from typing import Final

FRAMES: Final = "streams.raw"
DETECTIONS: Final = "ai.detections"
ALERTS: Final = "alerts.critical"
SEGMENTS: Final = "recordings.segments"
CAMERA_STATUS: Final = "system.camera_status"


def dead_letter(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return f"{topic}.dlq"


# Requests to raise or clear an alert (AlertRequest, AlertCleared), from any stage.
ALERT_REQUESTS: Final = "alerts.requests"
