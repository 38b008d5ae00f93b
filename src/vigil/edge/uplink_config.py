"""The uplink's settings (the `uplink:` section of an edge's site.yaml) and its metrics."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import Counter, Gauge
from pydantic import Field, SecretStr, field_validator

from vigil.config import Base

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


class UplinkConfig(Base):
    """Where and how the edge sends its records (the `uplink:` section of an edge's site.yaml)."""

    hub_url: str = Field(
        title="Hub URL",
        description="Base URL of the hub's API, https only, e.g. https://hub.example.net:8443.",
    )
    api_key: SecretStr = Field(
        title="Edge API key",
        description="A hub API key named 'edge <site id>'. Give it as ${VIGIL_UPLINK_API_KEY}.",
    )
    ca_file: Path | None = Field(
        None, title="CA file", description="PEM bundle that signs the hub's certificate, when "
        "it is not from a public CA. TLS verification is always on.",
    )  # fmt: skip
    queue_path: Path = Field(
        Path("uplink-queue.sqlite3"), title="Queue file", description="The durable local queue."
    )
    max_items: int = Field(100_000, ge=10, description="Items the queue holds at most.")
    max_bytes: int = Field(256 << 20, ge=1 << 16, description="Bytes of records at most.")
    batch_items: int = Field(200, ge=1, le=1000, description="Records per request to the hub.")
    timeout_s: float = Field(30.0, gt=0, description="Per request to the hub.")
    backoff_initial_s: float = Field(1.0, gt=0, description="First retry delay after a failure.")
    backoff_max_s: float = Field(60.0, gt=0, description="Longest retry delay.")

    @field_validator("hub_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://") or len(value) <= len("https://"):
            raise ValueError(
                f"must be an https:// URL (the uplink never sends in clear): {value!r}"
            )
        return value.rstrip("/")
