"""The `uplink:` section: the hub an edge sends to (`vigil edge`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    Field,
    SecretStr,
    field_validator,
)

from vigil.config.base import (
    Base,
)


class UplinkConfig(Base):
    """Where and how an edge sends its records to the hub (`vigil edge`; issue 8)."""

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
        Path("uplink-queue.sqlite3"),
        title="Queue file",
        description="The durable local queue; a relative path is under the data directory.",
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
