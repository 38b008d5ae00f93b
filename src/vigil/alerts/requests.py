"""The alert path: every alert, whoever raises it, is written through `AlertPath`.

Rule incidents come from the analytics stage (`AnalyticsService` hands them over in-process, so
its commits wait for the rows); alert requests and their clearing from any other stage (camera
health, watchlists, edge heartbeats) arrive on `alerts.requests`, consumed by
`AlertRequestConsumer`. Writes are retried; what still fails goes to the topic's dead letters.
"""

from __future__ import annotations

import asyncio
import logging

from vigil.alerts.incidents import IncidentRecorder
from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.model.incidents import Incident, IncidentEnded
from vigil.model.messages import AlertCleared, AlertRequest
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)
_WRITE_ATTEMPTS = 5
Outcome = Incident | IncidentEnded | AlertRequest | AlertCleared


class AlertPath:
    """Writes rule outcomes and alert requests with `IncidentRecorder`, retrying a failed write
    (back-off up to 10 s) and dead-lettering it after `_WRITE_ATTEMPTS`."""

    def __init__(self, bus: Bus, recorder: IncidentRecorder) -> None:
        self._bus = bus
        self._recorder = recorder
        self.incidents = 0  # alerts raised through this path (rules and requests)

    async def apply(self, outcome: Outcome) -> None:
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


class AlertRequestConsumer:
    """Consumes `alerts.requests` (consumer group "analytics", as before the alert path had its
    own module, so a deployed cluster keeps its committed offsets) and writes each request."""

    def __init__(self, bus: Bus, path: AlertPath, group: str = "analytics") -> None:
        self._bus = bus
        self._path = path
        self._group = group
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        sub = self._bus.subscribe(topics.ALERT_REQUESTS, self._group)
        self._tasks = [asyncio.create_task(self._run(sub), name="alert-requests")]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)

    async def _run(self, sub: Subscription) -> None:
        async for message in sub:
            if isinstance(message.value, AlertRequest | AlertCleared):
                await self._path.apply(message.value)
            else:
                log.warning("ignoring a %s on %s", type(message.value).__name__, sub)
            sub.commit(message)
