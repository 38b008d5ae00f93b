"""The receiving side of edge heartbeats: an edge is marked OFFLINE after 3 missed beats (90 s)
and ONLINE again on the next beat, each with an alert (the OFFLINE alert is resolved when
the edge is back). The edges send them with `HeartbeatPublisher` (edge/heartbeat.py).

Given an `AlertWriter` (the incident recorder), the monitor writes those alerts itself, in the
same thread that changed the edge's state, rather than asking the analytics consumers through
`alerts.requests`: a site must learn that an edge went dark even while every analytics worker
is down or its consumer group is rebalancing, and the resolve can never overtake the alert.
The bus remains the fallback when the write fails.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Protocol

from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.clock import Clock
from vigil.edge.heartbeat import DEFAULT_PERIOD_S, HEARTBEATS, MISSED_BEATS
from vigil.hub.edge_state import EdgeState, EdgeStatus, MemoryEdgeState
from vigil.model.messages import AlertCleared, AlertRequest, Heartbeat
from vigil.ops.tasks import cancel_and_wait

logger = logging.getLogger(__name__)


class AlertWriter(Protocol):
    """Writes an alert or its clearing now, blocking (`IncidentRecorder`)."""

    def raise_now(self, request: AlertRequest) -> bool: ...

    def clear_now(self, cleared: AlertCleared) -> None: ...


class HeartbeatMonitor:
    """The receiving side: OFFLINE after `missed` beats of silence, ONLINE on the next.

    Its state lives in `state`: in memory by default (one process), or in the database
    (`DbEdgeState`) where several hub replicas receive beats and check for silence. Its
    alerts are written by `writer` when given, else requested on `alerts.requests`."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        *,
        state: EdgeState | None = None,
        writer: AlertWriter | None = None,
        period_s: float = DEFAULT_PERIOD_S,
        missed: int = MISSED_BEATS,
        tick_s: float = 5.0,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self.state: EdgeState = state or MemoryEdgeState()
        self._writer = writer
        self.silence = timedelta(seconds=period_s * missed)
        self._tick_s = tick_s
        self._tasks: list[asyncio.Task[None]] = []

    def online(self, edge_id: str) -> bool:
        return self.state.online(edge_id)

    def edges(self) -> list[EdgeStatus]:
        """Every edge heard from: ONLINE/OFFLINE, last contact and its last beat."""
        return self.state.edges()

    def on_beat(self, beat: Heartbeat) -> None:
        """Record `beat`; an OFFLINE edge is ONLINE again (its OFFLINE alert resolved).
        Blocking with a database state: call it off the event loop."""
        now = self._clock.now()
        key = self.state.record(beat, now)
        if key is None:
            return
        logger.info("edge %s is ONLINE again", beat.edge_id)
        self._send(beat.edge_id, AlertCleared(key, beat.edge_id, now, resolve=True))
        self._alert(beat.edge_id, "edge_online", "info", f"Edge {beat.edge_id} ONLINE", now)

    def check(self) -> None:
        """Mark silent edges OFFLINE, each with one alert (however many replicas check)."""
        now = self._clock.now()
        for went in self.state.mark_offline(now, self.silence):
            logger.error("edge %s is OFFLINE (no heartbeat since %s)", went.edge_id, went.last_seen)
            self._alert(
                went.edge_id, "edge_offline", "critical", f"Edge {went.edge_id} OFFLINE", now,
                {"last_heartbeat": went.last_seen.isoformat()}, key=went.alert_key,
            )  # fmt: skip

    def _alert(
        self,
        edge_id: str,
        alert_type: str,
        severity: str,
        title: str,
        at: datetime,
        data: dict[str, object] | None = None,
        *,
        key: str | None = None,
    ) -> str:
        key = key or f"{alert_type}:{edge_id}:{at:%Y%m%dT%H%M%S}"
        request = AlertRequest(
            key=key,
            camera_id=edge_id,
            type=alert_type,
            severity=severity,
            title=title,
            occurred_at=at,
            data=dict(data or {}),
        )
        self._send(edge_id, request)
        return key

    def _send(self, edge_id: str, value: AlertRequest | AlertCleared) -> None:
        """Write it (the writer), or, without one or when that fails, request it on the bus
        (the analytics consumers retry and dead-letter)."""
        if self._writer is not None:
            try:
                if isinstance(value, AlertCleared):
                    self._writer.clear_now(value)
                else:
                    self._writer.raise_now(value)
                return
            except Exception:
                logger.exception("writing alert %s failed; requesting it on the bus", value.key)
        self._bus.publish(topics.ALERT_REQUESTS, edge_id, value)

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
                try:
                    await asyncio.to_thread(self.on_beat, message.value)
                except Exception:
                    logger.exception("recording the heartbeat of %s failed", message.key)
            sub.commit(message)

    async def _tick(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.check)
            except Exception:  # e.g. the database away for a moment: check again next tick
                logger.exception("checking edge heartbeats failed")
            await self._clock.sleep(self._tick_s)
