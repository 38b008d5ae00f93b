"""Prometheus metrics shared across stages, named as in the reference architecture.

Stage-specific metrics may live next to their stage (e.g. edge/metrics.py); all register in the
default registry that `/metrics` exposes.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ai_inference_duration_seconds = Histogram(
    "ai_inference_duration_seconds",
    "Time to run the detector on one frame.",
    ["model"],
    buckets=(0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28),
)
ai_detection_total = Counter(
    "ai_detection_total", "Objects detected above the confidence threshold.", ["model", "class"]
)
ai_queue_depth = Gauge("ai_queue_depth", "Frames waiting for the detector.")
frames_dropped_total = Counter(
    "frames_dropped_total",
    "Analysis frames dropped because detection could not keep up (segments are never dropped).",
    ["camera"],
)
events_total = Counter("events_total", "Events recorded.", ["camera", "type"])
alerts_total = Counter("alerts_total", "Alerts raised.", ["camera", "type", "severity"])
alerts_active = Gauge("alerts_active", "Alerts not yet resolved.", ["status"])
ws_clients = Gauge("ws_clients", "Connected alert WebSocket clients.")
rule_evaluation_seconds = Histogram(
    "rule_evaluation_seconds", "Time to evaluate the rules on one frame's detections."
)
retention_delete_failures_total = Counter(
    "retention_delete_failures_total",
    "Segment files retention could not delete (store unreachable or refusing); each keeps its "
    "index row and is tried again at the next sweep.",
)
