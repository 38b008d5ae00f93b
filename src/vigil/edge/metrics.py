"""Prometheus metrics of the edge pipeline, named as in the reference architecture.

The metric families are created on first use (not at import) and registered once per
registry; `camera_metrics(camera_id)` hands a worker its pre-labelled children so the hot
path never looks labels up.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge


@dataclass(frozen=True, slots=True)
class EdgeMetrics:
    stream_active: Gauge
    stream_fps: Gauge
    stream_reconnect: Counter
    stream_bitrate_bps: Gauge
    recording_segments: Counter
    recording_errors: Counter
    recording_timestamps_fixed: Counter
    stream_packets_corrupt: Counter
    stream_latency_seconds: Gauge


@dataclass(frozen=True, slots=True)
class CameraMetrics:
    """One camera's children of the `EdgeMetrics` families."""

    stream_active: Gauge
    stream_fps: Gauge
    stream_reconnect: Counter
    stream_bitrate_bps: Gauge
    recording_segments: Counter
    recording_errors: Counter
    recording_timestamps_fixed: Counter
    stream_packets_corrupt: Counter
    stream_latency_seconds: Gauge


_lock = threading.Lock()
_families: dict[int, EdgeMetrics] = {}


def edge_metrics(registry: CollectorRegistry = REGISTRY) -> EdgeMetrics:
    """The edge metric families registered in `registry` (created on the first call)."""
    with _lock:
        found = _families.get(id(registry))
        if found is None:
            labels = ["camera"]
            found = EdgeMetrics(
                stream_active=Gauge(
                    "stream_active",
                    "1 while the camera delivers packets",
                    labels,
                    registry=registry,
                ),
                stream_fps=Gauge(
                    "stream_fps",
                    "video packets per second, sliding window",
                    labels,
                    registry=registry,
                ),
                stream_reconnect=Counter(
                    "stream_reconnect",
                    "reconnect attempts after a stream failure",
                    labels,
                    registry=registry,
                ),
                stream_bitrate_bps=Gauge(
                    "stream_bitrate",
                    "video bit rate in bits per second, sliding window",
                    labels,
                    registry=registry,
                ),
                recording_segments=Counter(
                    "recording_segments", "segments stored", labels, registry=registry
                ),
                recording_errors=Counter(
                    "recording_errors",
                    "segments lost to write or store errors",
                    labels,
                    registry=registry,
                ),
                recording_timestamps_fixed=Counter(
                    "recording_timestamps_fixed",
                    "packets whose non-monotonic DTS was repaired before muxing",
                    labels,
                    registry=registry,
                ),
                stream_packets_corrupt=Counter(
                    "stream_packets_corrupt",
                    "packets the decoder rejected",
                    labels,
                    registry=registry,
                ),
                stream_latency_seconds=Gauge(
                    "stream_latency_seconds",
                    "how far behind its own timeline the latest packet arrived (seconds): "
                    "grows when ingest cannot keep up or the network delays the stream",
                    labels,
                    registry=registry,
                ),
            )
            _families[id(registry)] = found
        return found


def camera_metrics(camera_id: str, registry: CollectorRegistry = REGISTRY) -> CameraMetrics:
    """Pre-labelled metric children for one camera."""
    fam = edge_metrics(registry)
    return CameraMetrics(
        stream_active=fam.stream_active.labels(camera_id),
        stream_fps=fam.stream_fps.labels(camera_id),
        stream_reconnect=fam.stream_reconnect.labels(camera_id),
        stream_bitrate_bps=fam.stream_bitrate_bps.labels(camera_id),
        recording_segments=fam.recording_segments.labels(camera_id),
        recording_errors=fam.recording_errors.labels(camera_id),
        recording_timestamps_fixed=fam.recording_timestamps_fixed.labels(camera_id),
        stream_packets_corrupt=fam.stream_packets_corrupt.labels(camera_id),
        stream_latency_seconds=fam.stream_latency_seconds.labels(camera_id),
    )


def forget_camera(camera_id: str, registry: CollectorRegistry = REGISTRY) -> None:
    """Drop a camera's gauges (it was deleted or disabled): `stream_active` and friends then
    count only the cameras that run. Its counters stay (totals of what happened)."""
    fam = edge_metrics(registry)
    for gauge in (
        fam.stream_active,
        fam.stream_fps,
        fam.stream_bitrate_bps,
        fam.stream_latency_seconds,
    ):
        with contextlib.suppress(KeyError):  # never started, or already forgotten
            gauge.remove(camera_id)


_gap_families: dict[int, Counter] = {}


def recording_gap_seconds(camera_id: str, registry: CollectorRegistry = REGISTRY) -> Counter:
    """`recording_gap_seconds_total{camera}`: seconds missing between consecutive indexed
    segments (what integrity reports as gaps), counted as each segment is indexed."""
    with _lock:
        family = _gap_families.get(id(registry))
        if family is None:
            family = Counter(
                "recording_gap_seconds",
                "seconds of video missing between consecutive recorded segments",
                ["camera"],
                registry=registry,
            )
            _gap_families[id(registry)] = family
    return family.labels(camera_id)
