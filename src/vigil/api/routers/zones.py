"""Zones: polygons on a camera that rules watch. Those of site.yaml are read-only here (409
naming where the file defines them); those made here are stored and take effect at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from vigil.analytics.catalog import InvalidItemError, StoredZone
from vigil.api.deps import Admin, CurrentUser, Principal, Services
from vigil.api.schemas import ErrorBody
from vigil.api.site_items import BODY_CONFIG, ConfigWordedRoute, ItemBody, catalog, changed, run
from vigil.config import ZoneConfig
from vigil.errors import NotFoundError

# [x, y]. Not a tuple: its JSON schema (prefixItems) trips OpenAPI tools such as schemathesis.
Point = Annotated[list[float], Field(min_length=2, max_length=2)]
router = APIRouter(prefix="/zones", tags=["zones"], route_class=ConfigWordedRoute)
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such camera or zone (or not in your scope)"},
    409: {"model": ErrorBody, "description": "Defined in site.yaml, exists, or used by a rule"},
}
_EXAMPLE: dict[str, Any] = {
    "camera_id": "gate",
    "id": "driveway",
    "name": "Driveway",
    "polygon": [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95], [0.1, 0.95]],
    "criticality": "high",
}


class ZoneBody(ZoneConfig, ItemBody):
    """A zone as site.yaml's `cameras[].zones[]` holds it, plus its camera."""

    model_config = ConfigDict(**BODY_CONFIG, json_schema_extra={"examples": [_EXAMPLE]})
    camera_id: str = Field(max_length=63, description="A camera of site.yaml.", examples=["gate"])


class ZonePublic(BaseModel):
    camera_id: str
    id: str
    name: str
    polygon: list[Point] = Field(
        description="Vertices [x, y] normalised to the frame: 0..1, origin top-left."
    )
    criticality: Literal["low", "normal", "high", "critical"]
    source: Literal["config", "api"] = Field(
        description="config: from site.yaml (read-only here); api: made through the API."
    )
    defined_in: str | None = Field(
        description="Where site.yaml defines a config zone, e.g. cameras[2].zones[0]."
    )
    updated_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "source": "api",
                    "defined_in": None,
                    "updated_at": "2026-11-29T18:00:00Z",
                }
            ]
        }
    )


def _public(stored: StoredZone) -> ZonePublic:
    zone = stored.zone
    return ZonePublic(
        camera_id=stored.camera_id,
        id=zone.id,
        name=zone.name,
        polygon=[[x, y] for x, y in zone.polygon],
        criticality=zone.criticality,
        source="config" if stored.source == "config" else "api",
        defined_in=stored.defined_in,
        updated_at=stored.updated_at,
    )


def _in_scope(user: Principal, camera_id: str, zone_id: str) -> None:
    if not user.can_see(camera_id):
        raise NotFoundError(f"no zone {zone_id!r} on camera {camera_id!r}")


def _as_zone(body: ZoneBody) -> ZoneConfig:
    return ZoneConfig.model_validate(body.model_dump(exclude={"camera_id"}))


@router.get("")
async def list_zones(
    services: Services,
    user: CurrentUser,
    camera_id: Annotated[str | None, Query(max_length=63, description="One camera only.")] = None,
) -> list[ZonePublic]:
    """Every zone of the cameras you can see: site.yaml's and the API's."""
    zones = await run(catalog(services).zones, camera_id)
    return [_public(z) for z in zones if user.can_see(z.camera_id)]


@router.post("", status_code=201, responses=_WRITE_ERRORS)
async def create_zone(
    body: ZoneBody, request: Request, services: Services, admin: Admin
) -> ZonePublic:
    """Draw a zone on a camera; rules that watch every zone of that camera (or name this
    one) use it from the next analysed frame."""
    if not admin.can_see(body.camera_id):
        raise NotFoundError(f"no camera {body.camera_id!r}")
    stored = await run(catalog(services).create_zone, body.camera_id, _as_zone(body))
    resource = f"zones/{body.camera_id}/{body.id}"
    await changed(services, request, admin, "zones.create", resource, {"name": body.name})
    return _public(stored)


@router.get("/{camera_id}/{zone_id}", responses={404: {"model": ErrorBody}})
async def get_zone(
    camera_id: str, zone_id: str, services: Services, user: CurrentUser
) -> ZonePublic:
    _in_scope(user, camera_id, zone_id)
    return _public(await run(catalog(services).zone, camera_id, zone_id))


@router.put("/{camera_id}/{zone_id}", responses=_WRITE_ERRORS)
async def update_zone(
    camera_id: str,
    zone_id: str,
    body: ZoneBody,
    request: Request,
    services: Services,
    admin: Admin,
) -> ZonePublic:
    """Replace an API zone (the body is the whole zone, as for POST)."""
    _in_scope(admin, camera_id, zone_id)
    wrong = [
        (field, f"must match the URL ({expected!r}); to move or rename a zone, create a new one")
        for field, value, expected in (
            ("camera_id", body.camera_id, camera_id),
            ("id", body.id, zone_id),
        )
        if value != expected
    ]
    if wrong:
        raise InvalidItemError(wrong)
    stored = await run(catalog(services).update_zone, camera_id, _as_zone(body))
    await changed(services, request, admin, "zones.update", f"zones/{camera_id}/{zone_id}")
    return _public(stored)


@router.delete("/{camera_id}/{zone_id}", responses=_WRITE_ERRORS)
async def delete_zone(
    camera_id: str, zone_id: str, request: Request, services: Services, admin: Admin
) -> ZonePublic:
    """Delete an API zone; refused (409, naming them) while a rule names it."""
    _in_scope(admin, camera_id, zone_id)
    stored = await run(catalog(services).delete_zone, camera_id, zone_id)
    await changed(services, request, admin, "zones.delete", f"zones/{camera_id}/{zone_id}")
    return _public(stored)
