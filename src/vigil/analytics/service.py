"""The analytics stage: detections in, incidents recorded as events and alerts.

It also records alert requests that other stages publish (camera health, edge heartbeats) on
`alerts.requests`, so every alert takes the same path.
"""

from __future__ import annotations

import asyncio
import logging
import time

from vigil.analytics.engine import Incident, IncidentEnded, RuleEngine
from vigil.analytics.incidents import IncidentRecorder
from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.bus.messages import AlertCleared, AlertRequest, FrameDetections
from vigil.ops import metrics
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)
_WRITE_ATTEMPTS = 5
Outcome = Incident | IncidentEnded | AlertRequest | AlertCleared


class AnalyticsService:
    def __init__(self, bus: Bus, engine: RuleEngine, recorder: IncidentRecorder) -> None:
        self._bus = bus
        self._engine = engine
        self._recorder = recorder
        self._tasks: list[asyncio.Task[None]] = []
        self.frames_evaluated = 0
        self.incidents = 0

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
            fd = message.value
            if isinstance(fd, FrameDetections):
                start = time.perf_counter()
                outcomes = self._engine.process(fd)
                metrics.rule_evaluation_seconds.observe(time.perf_counter() - start)
                self.frames_evaluated += 1
                for outcome in outcomes:
                    await self._apply(outcome)
            sub.commit(message)

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
