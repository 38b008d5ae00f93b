"""The audit log (admin only, read-only: the database refuses changes to it)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from vigil.api.deps import Admin, Services
from vigil.auth.audit import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_before_id: int | None


@router.get("")
async def audit_log(
    services: Services,
    _admin: Admin,
    actor: Annotated[str | None, Query(max_length=150)] = None,
    action: Annotated[str | None, Query(max_length=64, description="Prefix, e.g. 'auth.'")] = None,
    outcome: Literal["success", "failure", "denied"] | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    entries = await services.audit.query(
        actor=actor, action=action, outcome=outcome, before_id=before_id, limit=limit
    )
    items = entries
    return AuditPage(items=items, next_before_id=items[-1].id if len(items) == limit else None)
