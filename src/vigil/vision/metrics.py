"""Prometheus metrics of the vision stage (registered in the default registry `/metrics` shows).

`ai_inference_duration_seconds`, `ai_detection_total` and `ai_queue_depth` are shared ones in
`vigil.ops.metrics`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

motion_regions_total = Counter(
    "motion_regions_total", "Motion regions found by the motion gate.", ["camera"]
)
ai_batch_size_current = Gauge(
    "ai_batch_size_current",
    "Detector calls (crops or full frames) spent on the frame analysed last.",
    ["camera"],
)
vision_full_frames_total = Counter(
    "vision_full_frames_total",
    "Frames the detector saw whole (motion gate off, periodic check, light change, busy scene).",
    ["camera"],
)
