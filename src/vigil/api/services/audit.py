"""The audit trail: every login and every state-changing call, append-only in the database."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from vigil.clock import Clock
from vigil.db.models import AuditLog
from vigil.db.session import Database

log = logging.getLogger(__name__)
Outcome = Literal["success", "failure", "denied"]


class AuditService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(
        self,
        action: str,
        *,
        actor: str | None,
        ip: str | None,
        outcome: Outcome,
        resource: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        await asyncio.to_thread(self._record, action, actor, ip, outcome, resource, details or {})

    def _record(
        self,
        action: str,
        actor: str | None,
        ip: str | None,
        outcome: Outcome,
        resource: str | None,
        details: dict[str, Any],
    ) -> None:
        with self._db.session() as session:
            session.add(
                AuditLog(
                    at=self._clock.now(),
                    actor=actor,
                    ip=ip,
                    action=action,
                    resource=resource,
                    outcome=outcome,
                    details=details,
                )
            )
            session.commit()
