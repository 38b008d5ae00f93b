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

from vigil.bus.base import Message
from vigil.clock import Clock, SystemClock

log = logging.getLogger(__name__)


class MemorySubscription:
    def __init__(
        self,
        topic: str,
        group: str,
        max_pending: int | None,
        on_drop: Callable[[Message], None] | None = None,
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

    @property
    def dropped(self) -> int:
        return self._dropped

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
                    return self._pending.popleft()
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
        # In-process delivery is already exactly the consumer's view; nothing to persist.
        del message

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
            if group in groups:
                raise ValueError(f"group {group!r} already subscribed to {topic!r}")
            sub = MemorySubscription(topic, group, max_pending, on_drop)
            groups[group] = sub
            return sub

    def publish(self, topic: str, key: str, value: Any) -> None:
        message = Message(topic, key, value, self._clock.now(), next(self._offsets))
        with self._lock:
            subs = list(self._subs.get(topic, {}).values())
        for sub in subs:
            sub.deliver(message)
