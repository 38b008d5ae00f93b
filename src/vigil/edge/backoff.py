"""Reconnect delays: exponential (1, 2, 4, … s) capped at `max_s`, with ±`jitter` spread.

Pure: the random source is injected, so tests can pin the jitter. Not thread-safe; one
`Backoff` belongs to one camera worker.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays for successive reconnect attempts, in seconds.

    Attempt n (counting from 0) waits `min(initial_s * factor**n, max_s)` scaled by a uniform
    factor in `[1 - jitter, 1 + jitter]`, and never more than `max_s`. Jitter spreads the
    reconnects of cameras that lost the same DVR at the same moment.
    `uniform` returns a float in [0, 1) (default: `random.random`).
    """

    def __init__(
        self,
        *,
        initial_s: float = 1.0,
        max_s: float = 60.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        uniform: Callable[[], float] | None = None,
    ) -> None:
        if initial_s <= 0 or max_s < initial_s:
            raise ValueError(f"backoff needs 0 < initial_s <= max_s, got {initial_s}, {max_s}")
        if factor < 1:
            raise ValueError(f"backoff factor must be >= 1, got {factor}")
        if not 0 <= jitter < 1:
            raise ValueError(f"backoff jitter must be in [0, 1), got {jitter}")
        self.initial_s = initial_s
        self.max_s = max_s
        self.factor = factor
        self.jitter = jitter
        self._uniform = uniform or random.random
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """How many delays were handed out since the last `reset`."""
        return self._attempt

    def next_delay(self) -> float:
        """The delay before the next attempt; each call moves one step up the ladder."""
        base = min(self.initial_s * self.factor ** min(self._attempt, 64), self.max_s)
        self._attempt += 1
        return self._jittered(base)

    def max_delay(self) -> float:
        """A jittered delay at the cap, for failures a retry soon will not fix (wrong password)."""
        self._attempt += 1
        return self._jittered(self.max_s)

    def reset(self) -> None:
        """Back to the first step, after a connection that delivered frames."""
        self._attempt = 0

    def _jittered(self, base_s: float) -> float:
        spread = 1.0 + self.jitter * (2.0 * self._uniform() - 1.0)
        return min(base_s * spread, self.max_s)
