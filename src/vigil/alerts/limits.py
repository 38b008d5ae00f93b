"""Sliding-window send limits per address, on Vigil's clock.

Written here rather than taken from the `limits` package because `limits` reads the wall
clock itself; these windows must follow `vigil.clock` so tests and replays can run hours of
site time in seconds.
"""

from __future__ import annotations

from collections import deque

from vigil.clock import Clock


class SendLimiter:
    """At most `max_sends` per `window_s` per key (an address or phone number)."""

    def __init__(self, clock: Clock, max_sends: int, window_s: float) -> None:
        self._clock = clock
        self.max_sends = max_sends
        self.window_s = window_s
        self._sent: dict[str, deque[float]] = {}

    def _window(self, key: str) -> deque[float]:
        now = self._clock.monotonic()
        sent = self._sent.setdefault(key, deque())
        while sent and now - sent[0] >= self.window_s:
            sent.popleft()
        return sent

    def allows(self, key: str) -> bool:
        return len(self._window(key)) < self.max_sends

    def take(self, key: str) -> bool:
        """Count one send if the window has room; False (nothing counted) when it has not."""
        sent = self._window(key)
        if len(sent) >= self.max_sends:
            return False
        sent.append(self._clock.monotonic())
        return True
