"""Topic names, as in the reference architecture."""

from typing import Final

FRAMES: Final = "streams.raw"
DETECTIONS: Final = "ai.detections"
ALERTS: Final = "alerts.critical"
SEGMENTS: Final = "recordings.segments"
CAMERA_STATUS: Final = "system.camera_status"
# Edge heartbeats (streams online, disk, memory, uplink queue depth), the reference's name.
METRICS: Final = "system.metrics"


def dead_letter(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return f"{topic}.dlq"


# Requests to raise or clear an alert (AlertRequest, AlertCleared), from any stage.
ALERT_REQUESTS: Final = "alerts.requests"

# Zones or rules changed through the API (key: the site id; value: a small JSON object naming
# the change). Consumers reload from the configuration and the database: the row is the truth.
CONFIG_CHANGES: Final = "config.changes"
