"""The audit log (admin only, read-only: the database refuses changes to it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from vigil.api.deps import Admin, Services

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str | None
    ip: str | None
    action: str
    resource: str | None
    outcome: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before_id: int | None


@router.get("")
async def audit_log(
    services: Services,
    _admin: Admin,
    actor: Annotated[str | None, Query(max_length=150)] = None,
    action: Annotated[str | None, Query(max_length=64, description="Prefix, e.g. 'auth.'")] = None,
    outcome: Literal["success", "failure", "denied"] | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    entries = await services.audit.query(
        actor=actor, action=action, outcome=outcome, before_id=before_id, limit=limit
    )
    items = [
        AuditOut(
            id=e.id,
            at=e.at,
            actor=e.actor,
            ip=e.ip,
            action=e.action,
            resource=e.resource,
            outcome=e.outcome,
            details=e.details,
        )
        for e in entries
    ]
    return AuditPage(items=items, next_before_id=items[-1].id if len(items) == limit else None)
