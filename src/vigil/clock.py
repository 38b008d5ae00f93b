"""The one place Vigil reads the time, and the one place its loops sleep.

Everything takes a `Clock`; tests inject `FakeClock` to run hours of site time in seconds
(its sleeps advance it at once), or `DrivenClock`, whose sleeps wait for the test to advance
it, so a test drives periodic loops (heartbeats, disk watch, retention) as well as readings.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time (UTC, tz-aware) plus a monotonic counter and sleeps."""

    def now(self) -> datetime:
        """Current UTC time, tz-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def sleep_sync(self, seconds: float) -> None:
        """Blocking sleep for worker threads."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def sleep_sync(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """A clock that moves only when told to; sleeps advance it instantly."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a tz-aware start time")
        self._mono = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock.set needs a tz-aware time")
        with self._lock:
            delta = (when - self._now).total_seconds()
            self._now = when
            self._mono += max(delta, 0.0)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)

    def sleep_sync(self, seconds: float) -> None:
        self.advance(seconds)


class DrivenClock(FakeClock):
    """A `FakeClock` whose sleeps wait for the test: a sleeper wakes once `advance` or `set` has
    moved the monotonic time to its deadline. Advancing past several periods of a loop wakes it
    once; it then sleeps a full period from the new time, as a late real loop would."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start)
        self._wake = threading.Condition(self._lock)
        self._sleepers: list[tuple[float, asyncio.Future[None], asyncio.AbstractEventLoop]] = []

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        self._release()

    def set(self, when: datetime) -> None:
        super().set(when)
        self._release()

    @property
    def sleepers(self) -> int:
        """How many async sleeps are not yet due (a test waits for its loops to go back to
        sleep after an `advance`)."""
        with self._lock:
            return sum(at > self._mono for at, _, _ in self._sleepers)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._sleepers.append((self._mono + seconds, future, loop))
        try:
            await future
        finally:
            with self._lock:
                self._sleepers = [s for s in self._sleepers if s[1] is not future]

    def sleep_sync(self, seconds: float) -> None:
        with self._wake:
            deadline = self._mono + seconds
            self._wake.wait_for(lambda: self._mono >= deadline)

    def _release(self) -> None:
        with self._wake:
            due = [(f, loop) for at, f, loop in self._sleepers if at <= self._mono]
            self._wake.notify_all()
        for future, loop in due:
            loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def utc(dt: datetime) -> datetime:
    """Return `dt` as tz-aware UTC; refuses naive datetimes, whose zone would be a guess."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no time zone; Vigil stores UTC")
    return dt.astimezone(UTC)
