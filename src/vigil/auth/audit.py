"""The audit trail: every login and every state-changing call, append-only in the database."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import AuditLog

log = logging.getLogger(__name__)
Outcome = Literal["success", "failure", "denied"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str | None
    ip: str | None
    action: str
    resource: str | None
    outcome: str
    details: dict[str, Any]


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

    async def query(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Newest first; page with `before_id` (the last id of the previous page)."""
        return await asyncio.to_thread(self._query, actor, action, outcome, before_id, limit)

    def _query(
        self,
        actor: str | None,
        action: str | None,
        outcome: str | None,
        before_id: int | None,
        limit: int,
    ) -> list[AuditEntry]:
        query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
        if actor:
            query = query.where(AuditLog.actor == actor)
        if action:
            query = query.where(AuditLog.action.startswith(action, autoescape=True))
        if outcome:
            query = query.where(AuditLog.outcome == outcome)
        if before_id is not None:
            query = query.where(AuditLog.id < before_id)
        with self._db.session() as session:
            return [
                AuditEntry(
                    r.id,
                    r.at,
                    r.actor,
                    r.ip,
                    r.action,
                    r.resource,
                    r.outcome,
                    dict(r.details or {}),
                )
                for r in session.execute(query).scalars()
            ]
