"""The in-process bus of the one-box deployment.

Values are handed over as Python objects (a decoded frame is never re-encoded). Publishing is
thread-safe, so edge threads publish directly; consumers are asyncio tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from vigil.bus.base import MAX_ATTEMPTS, Message
from vigil.bus.topics import dead_letter
from vigil.clock import Clock, SystemClock

log = logging.getLogger(__name__)

# Uncommitted messages a subscription keeps for redelivery (bounded ones: `max_pending`).
_MAX_INFLIGHT = 1024


class MemorySubscription:
    def __init__(
        self,
        topic: str,
        group: str,
        max_pending: int | None,
        on_drop: Callable[[Message], None] | None = None,
        publish: Callable[[str, str, Any], None] | None = None,
    ) -> None:
        self.topic = topic
        self.group = group
        self._pending: deque[Message] = deque()
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._dropped = 0
        self._closed = False
        self._on_drop = on_drop
        self._publish = publish
        # Taken but not yet committed, by offset: handed to the group's next subscriber when
        # this one closes (at least once), and redelivered after `fail`.
        self._inflight: dict[int, Message] = {}
        self._attempts: dict[int, int] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def pending(self) -> int:
        return len(self._pending)

    def deliver(self, message: Message) -> None:
        """Called from any thread."""
        dropped: Message | None = None
        with self._lock:
            if self._closed:
                return
            if self._max_pending is not None and len(self._pending) >= self._max_pending:
                dropped = self._pending.popleft()
                self._dropped += 1
            self._pending.append(message)
        if dropped is not None and self._on_drop is not None:
            self._on_drop(dropped)
        # A closed loop (shutdown) means nobody is listening any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._ready.set)

    async def get(self, timeout_s: float | None = None) -> Message | None:
        while True:
            with self._lock:
                if self._pending:
                    message = self._pending.popleft()
                    self._inflight[message.offset] = message
                    if len(self._inflight) > (self._max_pending or _MAX_INFLIGHT):
                        # A consumer that never commits (a live view) must not hold on to
                        # everything it ever saw: forget the oldest.
                        del self._inflight[next(iter(self._inflight))]
                    return message
                if self._closed:
                    return None
                self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout_s)
            except TimeoutError:
                return None

    async def __aiter__(self) -> AsyncIterator[Message]:  # type: ignore[override]
        while True:
            message = await self.get()
            if message is None:
                return
            yield message

    def commit(self, message: Message) -> None:
        with self._lock:
            for offset, taken in list(self._inflight.items()):
                if taken.key == message.key and offset <= message.offset:
                    del self._inflight[offset]
                    self._attempts.pop(offset, None)

    def fail(self, message: Message, reason: str) -> None:
        with self._lock:
            attempts = self._attempts[message.offset] = self._attempts.get(message.offset, 0) + 1
            if attempts < MAX_ATTEMPTS:
                self._inflight.pop(message.offset, None)
                self._pending.appendleft(message)
        if attempts >= MAX_ATTEMPTS:
            log.warning(
                "%s message %d (key %s) failed %d times, dead-lettered: %s",
                self.topic,
                message.offset,
                message.key,
                attempts,
                reason,
            )
            if self._publish is not None:
                self._publish(dead_letter(self.topic), message.key, message.value)
            self.commit(message)
            return
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._ready.set)

    def unfinished(self) -> list[Message]:
        """Messages taken but not committed, then those not yet taken, in order."""
        with self._lock:
            return sorted(self._inflight.values(), key=lambda m: m.offset) + list(self._pending)

    def seed(self, messages: list[Message]) -> None:
        with self._lock:
            self._pending.extend(messages)
        if messages:
            self._ready.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._ready.set)


class MemoryBus:
    """Fan-out to one subscription per (topic, group); first subscriber of a group wins."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._subs: dict[str, dict[str, MemorySubscription]] = {}
        self._lock = threading.Lock()
        self._offsets = itertools.count()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        with self._lock:
            subs = [s for groups in self._subs.values() for s in groups.values()]
            self._subs.clear()
        for sub in subs:
            sub.close()

    def subscribe(
        self,
        topic: str,
        group: str,
        *,
        max_pending: int | None = None,
        on_drop: Callable[[Message], None] | None = None,
    ) -> MemorySubscription:
        with self._lock:
            groups = self._subs.setdefault(topic, {})
            previous = groups.get(group)
            if previous is not None and not previous.closed:
                raise ValueError(f"group {group!r} already subscribed to {topic!r}")
            sub = MemorySubscription(topic, group, max_pending, on_drop, self.publish)
            if previous is not None:  # a consumer of the group died: take over what it left
                sub.seed(previous.unfinished())
            groups[group] = sub
            return sub

    def publish(self, topic: str, key: str, value: Any) -> None:
        message = Message(topic, key, value, self._clock.now(), next(self._offsets))
        with self._lock:
            subs = list(self._subs.get(topic, {}).values())
        for sub in subs:
            sub.deliver(message)
