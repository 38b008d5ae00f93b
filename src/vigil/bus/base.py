"""The bus contract every implementation keeps.

Delivery is at least once; each consumer group sees every message of a topic; messages with the
same key (a camera id) stay in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

# Failures of one message before it goes to the dead-letter topic.
MAX_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    key: str
    value: Any
    published_at: datetime
    offset: int
    # Kafka partition (0 on the in-process bus); `offset` is per partition.
    partition: int = 0


class Subscription(Protocol):
    """An async iterator of messages for one consumer group."""

    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def get(self, timeout_s: float | None = None) -> Message | None:
        """Next message, or None after `timeout_s` without one."""
        ...

    def commit(self, message: Message) -> None:
        """Mark `message` (and everything before it on its key) as processed."""
        ...

    def fail(self, message: Message, reason: str) -> None:
        """Processing `message` failed: it is delivered again; after `MAX_ATTEMPTS` failures it
        is published to `<topic>.dlq` (same key and value) and counts as committed."""
        ...

    def close(self) -> None: ...

    @property
    def dropped(self) -> int:
        """Messages dropped because this consumer fell behind (bounded topics only)."""
        ...

    @property
    def pending(self) -> int:
        """Messages received for this consumer and not yet taken (its queue depth)."""
        ...


class Bus(Protocol):
    def publish(self, topic: str, key: str, value: Any) -> None:
        """Publish from any thread; never blocks the caller for long."""
        ...

    def subscribe(
        self,
        topic: str,
        group: str,
        *,
        max_pending: int | None = None,
        on_drop: Callable[[Message], None] | None = None,
    ) -> Subscription:
        """Join `group` on `topic`. With `max_pending`, the oldest pending messages are dropped
        (counted, and passed to `on_drop`) when the consumer falls behind: for analysis frames,
        never for records."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
