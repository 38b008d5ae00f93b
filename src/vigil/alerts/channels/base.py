"""The channel interface and the message every channel sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from vigil.errors import VigilError

Kind = Literal["alert", "escalation", "digest", "update"]


class DeliveryError(VigilError):
    """A send failed; `detail` is safe to store as a dead letter's last error (no secrets)."""

    status_code = 502


@dataclass(frozen=True, slots=True)
class Message:
    """One notification to one recipient address (email, phone, token; '' for site-wide
    channels). `alert` is the alert's JSON (AlertView.to_json); a digest lists `alerts`."""

    kind: Kind
    recipient: str
    subject: str
    text: str
    alert: dict[str, Any] | None = None
    alerts: tuple[dict[str, Any], ...] = ()
    snapshot_jpeg: bytes | None = field(default=None, repr=False)

    @property
    def camera_id(self) -> str | None:
        return self.alert["camera_id"] if self.alert else None


class Channel(Protocol):
    name: str

    async def send(self, message: Message) -> None:
        """Deliver or raise DeliveryError."""
        ...

    async def close(self) -> None: ...
