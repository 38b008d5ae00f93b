"""The analytics stage: detections in, rule outcomes (incidents opened and ended) out to the
alert path (`vigil.alerts.requests.AlertPath`, given as the `OutcomeSink`), which records them as
events and alerts before this stage commits the frames behind them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Final, Protocol

from vigil.analytics.engine import RuleEngine
from vigil.bus import Bus, topics
from vigil.bus.base import Message, Subscription
from vigil.model.incidents import Incident, IncidentEnded
from vigil.model.messages import FrameDetections
from vigil.ops import metrics
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)
# Longest a partition's commits wait for a quiet point (seconds of message time).
MAX_HOLD_S: Final = 300.0


class OutcomeSink(Protocol):
    """Where rule outcomes go: written (retried, dead-lettered) before `apply` returns."""

    async def apply(self, outcome: Incident | IncidentEnded) -> None: ...


class AnalyticsService:
    def __init__(self, bus: Bus, engine: RuleEngine, sink: OutcomeSink) -> None:
        self._bus = bus
        self._engine = engine
        self._sink = sink
        self._tasks: list[asyncio.Task[None]] = []
        self.frames_evaluated = 0
        # Per partition: cameras with rule state, the highest offset processed, and when the
        # oldest message not yet committed was published.
        self._busy: dict[int, set[str]] = {}
        self._done: dict[int, int] = {}
        self._held_since: dict[int, datetime] = {}

    async def start(self) -> None:
        detections = self._bus.subscribe(topics.DETECTIONS, "analytics")
        self._tasks = [asyncio.create_task(self._run(detections), name="analytics")]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)

    async def _run(self, sub: Subscription) -> None:
        async for message in sub:
            part = message.partition
            if message.offset <= self._done.get(part, -1):
                continue  # redelivered after a rebalance: in the engine's state already
            fd = message.value
            if isinstance(fd, FrameDetections):
                start = time.perf_counter()
                outcomes = self._engine.process(fd)
                metrics.rule_evaluation_seconds.observe(time.perf_counter() - start)
                self.frames_evaluated += 1
                for outcome in outcomes:
                    await self._sink.apply(outcome)
                busy = self._busy.setdefault(part, set())
                if self._engine.busy(fd.camera_id):
                    busy.add(fd.camera_id)
                else:
                    busy.discard(fd.camera_id)
            self._done[part] = message.offset
            self._commit_when_quiet(sub, message)

    def _commit_when_quiet(self, sub: Subscription, message: Message) -> None:
        """Commit at quiet points: when no camera of the message's partition holds rule state.

        A worker that takes the partition over (this one died) then replays from the last
        quiet point and rebuilds that state from the same frames: an open incident gets its
        same key again (no second alert), a zone's hit count its same frames. A partition
        never quiet for `MAX_HOLD_S` (of message time) is committed anyway, and such a
        takeover starts those cameras' state afresh."""
        part = message.partition
        since = self._held_since.setdefault(part, message.published_at)
        held_s = (message.published_at - since).total_seconds()
        if self._busy.get(part) and held_s < MAX_HOLD_S:
            return
        sub.commit(message)
        del self._held_since[part]
