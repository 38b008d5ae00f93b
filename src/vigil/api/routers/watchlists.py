"""Watchlists: enrolled persons whose faces raise a `watchlist_match` alert on some cameras.

Reading needs the operator role (faces are personal data), changing needs an admin; every
change is audited. A camera-scoped user sees the watchlists that cover one of their cameras,
with only those cameras listed, and may only set cameras they can see.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from vigil.api.deps import Admin, Operator, Principal, Services, audit_success
from vigil.api.schemas import ErrorBody, Input
from vigil.config import Severity
from vigil.errors import NotFoundError, VigilError
from vigil.faces.watchlists import (
    WatchlistInputError,
    WatchlistRecord,
    WatchlistService,
    WatchlistSpec,
)

router = APIRouter(prefix="/watchlists", tags=["persons"])
Cameras = Annotated[
    Literal["*"] | list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(description='"*" for every camera, or a list of camera ids.'),
]
_EXAMPLE: dict[str, JsonValue] = {
    "id": "0d1c3a34-6c7b-4f0f-a3c5-1f3f0d8f2a11",
    "name": "Banned",
    "person_ids": ["5b0f6f4e-8a53-4c55-9d43-2f8a3c1b7e10"],
    "cameras": ["gate"],
    "severity": "high",
    "threshold": 0.4,
    "enabled": True,
}


class WatchlistsUnavailableError(VigilError):
    status_code = 503


class WatchlistOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "created_at": "2026-11-02T18:00:00Z",
                    "created_by": "admin",
                    "updated_at": "2026-11-02T18:00:00Z",
                }
            ]
        }
    )

    id: str
    name: str
    person_ids: list[str]
    cameras: Literal["*"] | list[str]
    severity: Severity
    threshold: float = Field(description="Cosine similarity from which a face matches.")
    enabled: bool
    created_at: datetime
    created_by: str
    updated_at: datetime


class WatchlistIn(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{k: v for k, v in _EXAMPLE.items() if k != "id"}]}
    )

    name: str = Field(min_length=1, max_length=200)
    person_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)
    cameras: Cameras = "*"
    severity: Severity = "high"
    threshold: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="Cosine similarity from which a face matches; default: the site's "
        "detection.faces.match_threshold (0.4).",
    )
    enabled: bool = True


def _service(services: Services) -> WatchlistService:
    if services.watchlists is None:
        raise WatchlistsUnavailableError("watchlists are not available here")
    return services.watchlists


def _visible(user: Principal, record: WatchlistRecord) -> WatchlistOut | None:
    """The watchlist as the user may see it; None when it covers none of their cameras."""
    cameras: Literal["*"] | list[str] = "*" if record.cameras is None else record.cameras
    if user.cameras is not None and record.cameras is not None:
        cameras = [c for c in record.cameras if c in user.cameras]
        if not cameras:
            return None
    return WatchlistOut(
        id=record.id,
        name=record.name,
        person_ids=record.person_ids,
        cameras=cameras,
        severity=record.severity,  # type: ignore[arg-type]  # CHECK constraint: a Severity
        threshold=record.threshold,
        enabled=record.enabled,
        created_at=record.created_at,
        created_by=record.created_by,
        updated_at=record.updated_at,
    )


def _spec(services: Services, user: Principal, body: WatchlistIn) -> WatchlistSpec:
    cameras = None if body.cameras == "*" else list(dict.fromkeys(body.cameras))
    if cameras is None and user.cameras is not None:
        raise WatchlistInputError('cameras: "*" covers cameras outside your scope; list yours')
    known = {c.id for c in services.config.cameras}
    for i, camera_id in enumerate(cameras or []):
        if camera_id not in known or not user.can_see(camera_id):
            raise WatchlistInputError(f"cameras[{i}]: unknown camera {camera_id!r}")
    threshold = body.threshold
    if threshold is None:
        threshold = services.config.detection.faces.match_threshold
    return WatchlistSpec(
        name=body.name.strip() or body.name,
        person_ids=body.person_ids,
        cameras=cameras,
        severity=body.severity,
        threshold=threshold,
        enabled=body.enabled,
    )


async def _get_visible(
    services: Services, user: Principal, watchlist_id: uuid.UUID
) -> WatchlistOut:
    record = await asyncio.to_thread(_service(services).get, str(watchlist_id))
    out = _visible(user, record)
    if out is None:
        raise NotFoundError(f"no watchlist {watchlist_id}")
    return out


@router.get("")
async def list_watchlists(services: Services, user: Operator) -> list[WatchlistOut]:
    """Every watchlist (that covers one of your cameras), by name."""
    records = await asyncio.to_thread(_service(services).all)
    return [out for r in records if (out := _visible(user, r)) is not None]


@router.post("", status_code=201, responses={422: {"model": ErrorBody}})
async def create_watchlist(
    body: WatchlistIn, request: Request, services: Services, admin: Admin
) -> WatchlistOut:
    spec = _spec(services, admin, body)
    record = await asyncio.to_thread(_service(services).create, spec, admin.username)
    await audit_success(
        services,
        request,
        admin,
        "watchlists.create",
        f"watchlists/{record.id}",
        {"name": record.name, "persons": len(record.person_ids)},
    )
    out = _visible(admin, record)
    assert out is not None  # its cameras were checked against the admin's scope
    return out


@router.get("/{watchlist_id}", responses={404: {"model": ErrorBody}})
async def get_watchlist(
    watchlist_id: uuid.UUID, services: Services, user: Operator
) -> WatchlistOut:
    return await _get_visible(services, user, watchlist_id)


@router.put("/{watchlist_id}", responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def replace_watchlist(
    watchlist_id: uuid.UUID,
    body: WatchlistIn,
    request: Request,
    services: Services,
    admin: Admin,
) -> WatchlistOut:
    """Replace the whole watchlist (persons, cameras, severity, threshold, enabled)."""
    await _get_visible(services, admin, watchlist_id)
    spec = _spec(services, admin, body)
    record = await asyncio.to_thread(_service(services).replace, str(watchlist_id), spec)
    await audit_success(
        services,
        request,
        admin,
        "watchlists.update",
        f"watchlists/{watchlist_id}",
        {"name": record.name, "persons": len(record.person_ids), "enabled": spec.enabled},
    )
    out = _visible(admin, record)
    assert out is not None
    return out


@router.delete("/{watchlist_id}", status_code=204, responses={404: {"model": ErrorBody}})
async def delete_watchlist(
    watchlist_id: uuid.UUID, request: Request, services: Services, admin: Admin
) -> None:
    await _get_visible(services, admin, watchlist_id)
    name = await asyncio.to_thread(_service(services).delete, str(watchlist_id))
    await audit_success(
        services, request, admin, "watchlists.delete", f"watchlists/{watchlist_id}", {"name": name}
    )
