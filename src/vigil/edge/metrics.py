"""Prometheus metrics of the edge, named as in the reference architecture: the camera
pipeline, the recording index, the disk, the box itself and the uplink to a hub.

One style for every metric in Vigil: module-level families in the default registry (the one
`/metrics` shows), in their package's metrics.py (vigil.ops.metrics holds those shared across
stages), help text as a sentence. A camera's worker takes its pre-labelled children once
(`camera_metrics`) so the hot path never looks labels up.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from prometheus_client import Counter, Gauge

_CAMERA = ["camera"]

stream_active = Gauge("stream_active", "1 while the camera delivers packets.", _CAMERA)
stream_fps = Gauge("stream_fps", "Video packets per second, sliding window.", _CAMERA)
stream_reconnect = Counter(
    "stream_reconnect", "Reconnect attempts after a stream failure.", _CAMERA
)
stream_bitrate = Gauge(
    "stream_bitrate", "Video bit rate in bits per second, sliding window.", _CAMERA
)
stream_packets_corrupt = Counter("stream_packets_corrupt", "Packets the decoder rejected.", _CAMERA)
stream_latency_seconds = Gauge(
    "stream_latency_seconds",
    "How far behind its own timeline the latest packet arrived (seconds): grows when ingest "
    "cannot keep up or the network delays the stream.",
    _CAMERA,
)
recording_segments = Counter("recording_segments", "Segments stored.", _CAMERA)
recording_errors = Counter("recording_errors", "Segments lost to write or store errors.", _CAMERA)
recording_timestamps_fixed = Counter(
    "recording_timestamps_fixed",
    "Packets whose non-monotonic DTS was repaired before muxing.",
    _CAMERA,
)
recording_gap_seconds = Counter(
    "recording_gap_seconds",
    "Seconds of video missing between consecutive recorded segments (what integrity reports "
    "as gaps), counted as each segment is indexed.",
    _CAMERA,
)
edge_disk_free_bytes = Gauge("edge_disk_free_bytes", "Free bytes on the recordings disk.", ["edge"])
edge_memory_usage_percent = Gauge(
    "edge_memory_usage_percent", "Memory in use on the edge box (percent).", ["edge"]
)
uplink_queue_depth = Gauge("uplink_queue_depth", "Items waiting in the edge's uplink queue.")
uplink_queue_bytes = Gauge("uplink_queue_bytes", "Bytes of records waiting in the uplink queue.")
uplink_sent_total = Counter("uplink_sent_total", "Items the hub acknowledged.", ["kind"])
uplink_dropped_total = Counter(
    "uplink_dropped_total",
    "Items dropped before reaching the hub: replaced heartbeats, segments evicted from a full "
    "queue or gone from the ring buffer, items the hub rejected as invalid.",
    ["kind"],
)
uplink_refused_total = Counter(
    "uplink_refused_total",
    "Events and alerts not queued because the queue is full of them (still in the local DB).",
    ["kind"],
)
uplink_last_success_timestamp = Gauge(
    "uplink_last_success_timestamp", "Unix time of the hub's last 2xx answer."
)


@dataclass(frozen=True, slots=True)
class CameraMetrics:
    """One camera's children of the camera families."""

    stream_active: Gauge
    stream_fps: Gauge
    stream_reconnect: Counter
    stream_bitrate_bps: Gauge
    recording_segments: Counter
    recording_errors: Counter
    recording_timestamps_fixed: Counter
    stream_packets_corrupt: Counter
    stream_latency_seconds: Gauge


def camera_metrics(camera_id: str) -> CameraMetrics:
    """Pre-labelled metric children for one camera."""
    return CameraMetrics(
        stream_active=stream_active.labels(camera_id),
        stream_fps=stream_fps.labels(camera_id),
        stream_reconnect=stream_reconnect.labels(camera_id),
        stream_bitrate_bps=stream_bitrate.labels(camera_id),
        recording_segments=recording_segments.labels(camera_id),
        recording_errors=recording_errors.labels(camera_id),
        recording_timestamps_fixed=recording_timestamps_fixed.labels(camera_id),
        stream_packets_corrupt=stream_packets_corrupt.labels(camera_id),
        stream_latency_seconds=stream_latency_seconds.labels(camera_id),
    )


def forget_camera(camera_id: str) -> None:
    """Drop a camera's gauges (it was deleted or disabled): `stream_active` and friends then
    count only the cameras that run. Its counters stay (totals of what happened)."""
    for gauge in (stream_active, stream_fps, stream_bitrate, stream_latency_seconds):
        with contextlib.suppress(KeyError):  # never started, or already forgotten
            gauge.remove(camera_id)
