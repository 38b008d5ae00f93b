"""Edge heartbeats: every 30 s the edge publishes {edge_id, timestamp, stream_count,
disk_free, mem_usage}; the receiving side marks an edge OFFLINE after 3 missed beats (90 s)
and ONLINE again on the next beat, each with an alert (the OFFLINE alert is resolved when
the edge is back).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psutil
from prometheus_client import REGISTRY, CollectorRegistry, Gauge

from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.bus.messages import AlertCleared, AlertRequest
from vigil.clock import Clock
from vigil.ops.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

HEARTBEATS = "system.heartbeats"  # topic
DEFAULT_PERIOD_S = 30.0
MISSED_BEATS = 3


@dataclass(frozen=True, slots=True)
class Heartbeat:
    edge_id: str
    timestamp: datetime
    stream_count: int  # streams online
    disk_free: int  # bytes free on the recordings disk
    mem_usage: float  # percent of memory in use
    queue_depth: int | None = None  # items in the edge's uplink queue (None: no uplink)


@dataclass(frozen=True, slots=True)
class EdgeStatus:
    edge_id: str
    online: bool
    last_seen: datetime
    last_beat: Heartbeat


_gauges: dict[int, Gauge] = {}


def memory_gauge(registry: CollectorRegistry = REGISTRY) -> Gauge:
    found = _gauges.get(id(registry))
    if found is None:
        found = Gauge(
            "edge_memory_usage_percent",
            "memory in use on the edge box",
            ["edge"],
            registry=registry,
        )
        _gauges[id(registry)] = found
    return found


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
        memory_gauge().labels(self.edge_id).set(mem)
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
            await asyncio.sleep(self.period_s)


class HeartbeatMonitor:
    """The receiving side: OFFLINE after `missed` beats of silence, ONLINE on the next."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        *,
        period_s: float = DEFAULT_PERIOD_S,
        missed: int = MISSED_BEATS,
        tick_s: float = 5.0,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self.silence = timedelta(seconds=period_s * missed)
        self._tick_s = tick_s
        self.last: dict[str, Heartbeat] = {}
        self._seen_at: dict[str, datetime] = {}
        self._offline: dict[str, str] = {}  # edge -> open OFFLINE alert key
        self._tasks: list[asyncio.Task[None]] = []

    def online(self, edge_id: str) -> bool:
        return edge_id in self._seen_at and edge_id not in self._offline

    def edges(self) -> list[EdgeStatus]:
        """Every edge heard from: ONLINE/OFFLINE, last contact and its last beat."""
        return [
            EdgeStatus(edge_id, self.online(edge_id), self._seen_at[edge_id], beat)
            for edge_id, beat in sorted(self.last.items())
        ]

    def on_beat(self, beat: Heartbeat) -> None:
        now = self._clock.now()
        self.last[beat.edge_id] = beat
        self._seen_at[beat.edge_id] = now
        key = self._offline.pop(beat.edge_id, None)
        if key is None:
            return
        logger.info("edge %s is ONLINE again", beat.edge_id)
        self._bus.publish(
            topics.ALERT_REQUESTS, beat.edge_id, AlertCleared(key, beat.edge_id, now, resolve=True)
        )
        self._alert(beat.edge_id, "edge_online", "info", f"Edge {beat.edge_id} ONLINE", now)

    def check(self) -> None:
        now = self._clock.now()
        for edge_id, seen in self._seen_at.items():
            if edge_id not in self._offline and now - seen > self.silence:
                logger.error("edge %s is OFFLINE (no heartbeat since %s)", edge_id, seen)
                self._offline[edge_id] = self._alert(
                    edge_id, "edge_offline", "critical", f"Edge {edge_id} OFFLINE", now,
                    {"last_heartbeat": seen.isoformat()},
                )  # fmt: skip

    def _alert(
        self,
        edge_id: str,
        alert_type: str,
        severity: str,
        title: str,
        at: datetime,
        data: dict[str, object] | None = None,
    ) -> str:
        key = f"{alert_type}:{edge_id}:{at:%Y%m%dT%H%M%S}"
        self._bus.publish(
            topics.ALERT_REQUESTS,
            edge_id,
            AlertRequest(
                key=key,
                camera_id=edge_id,
                type=alert_type,
                severity=severity,
                title=title,
                occurred_at=at,
                data=dict(data or {}),
            ),
        )
        return key

    async def start(self) -> None:
        sub = self._bus.subscribe(HEARTBEATS, "heartbeat-monitor")
        self._tasks = [
            asyncio.create_task(self._consume(sub), name="heartbeat-monitor"),
            asyncio.create_task(self._tick(), name="heartbeat-check"),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)

    async def _consume(self, sub: Subscription) -> None:
        async for message in sub:
            if isinstance(message.value, Heartbeat):
                self.on_beat(message.value)
            sub.commit(message)

    async def _tick(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(self._tick_s)
