"""The uplink's metrics; its settings are `vigil.config.UplinkConfig` (the `uplink:` section
of an edge's site.yaml), re-exported here."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from vigil.config import UplinkConfig

__all__ = [
    "UplinkConfig",
    "uplink_dropped_total",
    "uplink_last_success_timestamp",
    "uplink_queue_bytes",
    "uplink_queue_depth",
    "uplink_refused_total",
    "uplink_sent_total",
]

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
