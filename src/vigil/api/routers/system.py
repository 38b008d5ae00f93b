"""System health as the dashboard shows it."""

from __future__ import annotations

from fastapi import APIRouter

from vigil.api.deps import CurrentUser, Services
from vigil.api.schemas import ComponentPublic, HealthPublic

router = APIRouter(prefix="/system", tags=["system"])


@router.get("/health")
async def system_health(services: Services, _user: CurrentUser) -> HealthPublic:
    status, components = services.health.report()
    return HealthPublic(
        status=status,
        components={
            name: ComponentPublic(status=c.status, detail=c.detail)
            for name, c in components.items()
        },
    )
