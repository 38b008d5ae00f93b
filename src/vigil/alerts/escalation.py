"""Escalation: an alert left unacknowledged too long goes to the admins.

`escalate_after_s` gives the wait per severity (reference: critical, 15 min). An escalated
alert is marked (`escalation_level` 1, `escalated_at`), pushed as `alert.updated` and handed to
the notifier for every admin recipient. Acknowledging (or resolving) stops it: only alerts
still `new` are escalated, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select

from vigil.alerts.incidents import alert_view
from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.config.alerts import AlertsConfig
from vigil.db.session import Database
from vigil.db.tables import Alert, Camera
from vigil.model.messages import AlertView
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)
Escalate = Callable[[AlertView], Awaitable[None]]


class EscalationService:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        clock: Clock,
        config: AlertsConfig,
        on_escalate: Escalate | None = None,
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._after = dict(config.escalate_after_s)
        self._on_escalate = on_escalate
        shortest = min(self._after.values(), default=900.0)
        self.interval_s = max(1.0, min(30.0, shortest / 10))
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._after:
            self._task = asyncio.create_task(self._run(), name="alert-escalation")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("escalation check failed; trying again")
            await self._clock.sleep(self.interval_s)

    async def check(self) -> list[AlertView]:
        """Escalate every alert that is due now; returns them."""
        views = await asyncio.to_thread(self._escalate_due)
        for view in views:
            log.warning("alert %s unacknowledged: escalated to admins", view.id)
            self._bus.publish(
                topics.ALERTS, view.camera_id, {"type": "alert.updated", "alert": view.to_json()}
            )
            if self._on_escalate is not None:
                await self._on_escalate(view)
        return views

    def _escalate_due(self) -> list[AlertView]:
        now = self._clock.now()
        out: list[AlertView] = []
        with self._db.session() as session:
            for severity, after_s in self._after.items():
                rows = session.execute(
                    select(Alert, Camera.name)
                    .outerjoin(Camera, Camera.id == Alert.camera_id)
                    .where(
                        Alert.status == "new",
                        Alert.severity == severity,
                        Alert.escalation_level == 0,
                        Alert.created_at <= now - timedelta(seconds=after_s),
                    )
                    .with_for_update(of=Alert, skip_locked=True)
                ).all()
                for alert, name in rows:
                    alert.escalation_level = 1
                    alert.escalated_at = now
                    alert.updated_at = now
                    out.append(alert_view(alert, name))
            session.commit()
        return out
