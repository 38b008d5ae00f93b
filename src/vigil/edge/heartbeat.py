"""Edge heartbeats: every 30 s the edge publishes {edge_id, timestamp, stream_count,
disk_free, mem_usage, queue_depth} on `system.metrics`. The receiving side (the hub's
`HeartbeatMonitor`, hub/heartbeat.py) marks an edge OFFLINE after 3 missed beats.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import psutil

from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.edge import metrics
from vigil.model.messages import Heartbeat
from vigil.ops.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

__all__ = [
    "HEARTBEATS",
    "Heartbeat",
    "HeartbeatPublisher",
]

HEARTBEATS = topics.METRICS  # topic
DEFAULT_PERIOD_S = 30.0
MISSED_BEATS = 3


class HeartbeatPublisher:
    """Publishes this edge's heartbeat every `period_s`."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        *,
        edge_id: str,
        streams_online: Callable[[], int],
        disk_dir: Path,
        period_s: float = DEFAULT_PERIOD_S,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self.edge_id = edge_id
        self._streams_online = streams_online
        self._disk_dir = disk_dir
        self.period_s = period_s
        self._task: asyncio.Task[None] | None = None

    def beat(self) -> Heartbeat:
        mem = float(psutil.virtual_memory().percent)
        metrics.edge_memory_usage_percent.labels(self.edge_id).set(mem)
        beat = Heartbeat(
            edge_id=self.edge_id,
            timestamp=self._clock.now(),
            stream_count=self._streams_online(),
            disk_free=shutil.disk_usage(self._disk_dir).free,
            mem_usage=mem,
        )
        self._bus.publish(HEARTBEATS, self.edge_id, beat)
        return beat

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])

    async def _run(self) -> None:
        while True:
            try:
                self.beat()
            except Exception:
                logger.exception("heartbeat failed")
            await self._clock.sleep(self.period_s)
