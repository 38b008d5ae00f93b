"""The analytics stage: detections in, incidents recorded as events and alerts.

It also records alert requests that other stages publish (camera health, edge heartbeats) on
`alerts.requests`, so every alert takes the same path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Final

from vigil.alerts.incidents import IncidentRecorder
from vigil.analytics.engine import Incident, IncidentEnded, RuleEngine
from vigil.bus import Bus, topics
from vigil.bus.base import Message, Subscription
from vigil.model.messages import AlertCleared, AlertRequest, FrameDetections
from vigil.ops import metrics
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)
_WRITE_ATTEMPTS = 5
# Longest a partition's commits wait for a quiet point (seconds of message time).
MAX_HOLD_S: Final = 300.0
Outcome = Incident | IncidentEnded | AlertRequest | AlertCleared


class AnalyticsService:
    def __init__(self, bus: Bus, engine: RuleEngine, recorder: IncidentRecorder) -> None:
        self._bus = bus
        self._engine = engine
        self._recorder = recorder
        self._tasks: list[asyncio.Task[None]] = []
        self.frames_evaluated = 0
        self.incidents = 0
        # Per partition: cameras with rule state, the highest offset processed, and when the
        # oldest message not yet committed was published.
        self._busy: dict[int, set[str]] = {}
        self._done: dict[int, int] = {}
        self._held_since: dict[int, datetime] = {}

    async def start(self) -> None:
        detections = self._bus.subscribe(topics.DETECTIONS, "analytics")
        requests = self._bus.subscribe(topics.ALERT_REQUESTS, "analytics")
        self._tasks = [
            asyncio.create_task(self._run(detections), name="analytics"),
            asyncio.create_task(self._run_requests(requests), name="alert-requests"),
        ]

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
                    await self._apply(outcome)
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

    async def _run_requests(self, sub: Subscription) -> None:
        async for message in sub:
            if isinstance(message.value, AlertRequest | AlertCleared):
                await self._apply(message.value)
            else:
                log.warning("ignoring a %s on %s", type(message.value).__name__, sub)
            sub.commit(message)

    async def _apply(self, outcome: Outcome) -> None:
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                if isinstance(outcome, Incident):
                    if await self._recorder.record(outcome):
                        self.incidents += 1
                elif isinstance(outcome, AlertRequest):
                    if await self._recorder.raise_alert(outcome):
                        self.incidents += 1
                elif isinstance(outcome, AlertCleared):
                    await self._recorder.clear(outcome)
                else:
                    await self._recorder.end(outcome)
                return
            except Exception:
                log.exception(
                    "recording %s failed (attempt %d of %d)",
                    outcome.key,
                    attempt + 1,
                    _WRITE_ATTEMPTS,
                )
                await asyncio.sleep(min(2**attempt, 10))
        self._bus.publish(topics.dead_letter(topics.ALERT_REQUESTS), outcome.camera_id, outcome)
