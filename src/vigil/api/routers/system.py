"""System health as the dashboard shows it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vigil.api.deps import CurrentUser, Services
from vigil.api.schemas import ComponentPublic, HealthPublic
from vigil.ops.health import worst

router = APIRouter(prefix="/system", tags=["system"])


@router.get("/health")
async def system_health(services: Services, user: CurrentUser) -> HealthPublic:
    """Each component's state. A user scoped to some cameras sees only those cameras in the
    camera component, and no free-text details of the others (they may name any camera)."""
    status, components = await services.health.report()
    if user.cameras is not None:
        components = {name: c.seen_by(user.can_see) for name, c in components.items()}
        status = worst(components.values())
    return HealthPublic(
        status=status,
        components={
            name: ComponentPublic(status=c.status, detail=c.detail)
            for name, c in components.items()
        },
    )


class EdgeOut(BaseModel):
    edge_id: str
    status: Literal["ONLINE", "OFFLINE"]
    last_contact: datetime
    streams_online: int
    disk_free_bytes: int
    memory_used_percent: float
    queue_depth: int | None = Field(
        None, description="Items waiting in the edge's uplink queue (None: no uplink)."
    )


@router.get("/edges")
async def edges(services: Services, _user: CurrentUser) -> list[EdgeOut]:
    """Each edge (site gateway) by its heartbeats: OFFLINE after 3 missed beats (90 s)."""
    monitor = services.edges
    if monitor is None:
        return []
    return [
        EdgeOut(
            edge_id=e.edge_id,
            status="ONLINE" if e.online else "OFFLINE",
            last_contact=e.last_seen,
            streams_online=e.last_beat.stream_count,
            disk_free_bytes=e.last_beat.disk_free,
            memory_used_percent=round(e.last_beat.mem_usage, 1),
            queue_depth=e.last_beat.queue_depth,
        )
        for e in await asyncio.to_thread(monitor.edges)  # shared by hub replicas: a table
    ]
